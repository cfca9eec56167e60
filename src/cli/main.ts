#!/usr/bin/env node
/** The `kubevirt-emulator` command: wires subcommands to their modules. */
import { Command } from 'commander';
import { addServeOptions, DEFAULT_KUBE_VERSION, toEmulatorOptions, type ServeFlags } from './serve-options.js';
import { addScenarioCommand } from './scenario.js';
import { addClockCommand } from './clock.js';
import { addKubeconfigCommand } from './kubeconfig.js';
import { addResetCommand, resetState } from './reset.js';
import { emulatorVersion } from './version.js';

function buildProgram(): Command {
  const version = emulatorVersion();
  const program = new Command('kubevirt-emulator')
    .description('A Kubernetes API server with a simulated cluster and KubeVirt control plane, in one process.')
    .version(version, '-V, --version');
  addServeOptions(program.command('serve', { isDefault: true }).description('run the emulator (the default command)')).action(
    async (flags: ServeFlags) => {
      // Loaded here so `version` and `--help` do not load the whole server.
      const { serve } = await import('./serve.js');
      const options = toEmulatorOptions(flags);
      if (flags.reset && options.stateFile) resetState(options.stateFile);
      await serve(options);
      // Stopped on a signal: leave even if a stray timer or socket is still referenced.
      process.exit(0);
    },
  );
  addScenarioCommand(program);
  addClockCommand(program);
  addKubeconfigCommand(program);
  addResetCommand(program);
  program
    .command('version')
    .description('print the emulator version')
    .action(() => {
      process.stdout.write(`kubevirt-emulator ${version} (default Kubernetes ${DEFAULT_KUBE_VERSION})\n`);
    });
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`kubevirt-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
