/**
 * `kubevirt-emulator scenario run <files...>`: loads every file first (so a
 * malformed one fails before anything runs), runs them in turn, reports, and
 * answers the exit code: 0 only when every scenario passed.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';

export interface ScenarioRunFlags {
  kubeconfig?: string;
  junit?: string;
  reporter?: string;
  clock?: string;
  profile?: string;
}

export type Write = (text: string) => void;

export async function runScenarioFiles(files: string[], flags: ScenarioRunFlags, write: Write): Promise<number> {
  // Loaded here so other subcommands do not load the runner.
  const { loadScenario } = await import('../scenario/loader.js');
  const { runScenarios } = await import('../scenario/runner.js');
  const { humanReporter, junitXml, tapReporter } = await import('../scenario/reporters.js');
  const reporterName = flags.reporter ?? 'human';
  if (reporterName !== 'human' && reporterName !== 'tap') throw new Error(`unknown reporter "${reporterName}" (human or tap)`);
  const clock = flags.clock ?? 'virtual';
  if (clock !== 'virtual' && clock !== 'real') throw new Error(`unknown clock "${clock}" (virtual or real)`);
  const scenarios = files.map((file) => loadScenario(file));
  const reporter = reporterName === 'tap' ? tapReporter(write) : humanReporter(write);
  const start = performance.now();
  const results = await runScenarios(scenarios, { kubeconfig: flags.kubeconfig, clock, profile: flags.profile, reporter });
  if (flags.junit) await writeFile(flags.junit, junitXml(results, performance.now() - start));
  return results.every((r) => r.passed) ? 0 : 1;
}

export function addScenarioCommand(program: Command): void {
  const scenario = program.command('scenario').description('scenario-driven testing');
  scenario
    .command('run')
    .description('run scenario files (in-process emulator on virtual time unless --kubeconfig is given)')
    .argument('<files...>', 'scenario YAML files')
    .option('--kubeconfig <path>', 'run against the emulator this kubeconfig points to, on real time')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--reporter <name>', 'human or tap', 'human')
    .option('--clock <mode>', 'in-process: virtual (simulated time, advanced by the runner) or real', 'virtual')
    .option('--profile <name>', "in-process: simulation timings (instant or realistic) instead of the scenario's setup.profile")
    .action(async (files: string[], flags: ScenarioRunFlags) => {
      const code = await runScenarioFiles(files, flags, (text) => process.stdout.write(text));
      // The emulators are stopped; leave even if a stray timer is still referenced.
      process.exit(code);
    });
}
