/**
 * `kubevirt-emulator clock [show | advance <duration> | run-until-idle]`:
 * controls the simulated time of an emulator started with `--clock virtual`,
 * through its /emulator/clock endpoint and the kubeconfig's credentials.
 * Prints the clock's state as JSON, as `kubectl get -o json` would.
 */
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Command } from 'commander';

interface ClockFlags {
  kubeconfig?: string;
  max?: string;
}

/** The kubeconfig kubectl would read: $KUBECONFIG's first file, else ~/.kube/config. */
function defaultKubeconfig(): string {
  const fromEnv = process.env.KUBECONFIG?.split(delimiter).find((path) => path !== '');
  return fromEnv ?? join(homedir(), '.kube', 'config');
}

async function callClock(flags: ClockFlags, method: 'GET' | 'POST', path: string): Promise<void> {
  // Loaded here so other subcommands do not load the HTTP client.
  const { ClusterApi } = await import('../scenario/cluster-api.js');
  const { CLOCK_PATH } = await import('../server/clock-control.js');
  const api = new ClusterApi(flags.kubeconfig ?? defaultKubeconfig());
  const state = await api.call(method, `${CLOCK_PATH}${path}`);
  process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
}

export function addClockCommand(program: Command): void {
  const clock = program.command('clock').description('read or move the simulated time of an emulator started with --clock virtual');
  const withKubeconfig = (command: Command): Command =>
    command.option('--kubeconfig <path>', 'the emulator to talk to (default: $KUBECONFIG or ~/.kube/config)');
  withKubeconfig(clock.command('show', { isDefault: true }).description("print the emulator's time and pending timers")).action(
    (flags: ClockFlags) => callClock(flags, 'GET', ''),
  );
  withKubeconfig(
    clock
      .command('advance')
      .description('move time forward, firing every timer due on the way')
      .argument('<duration>', 'e.g. 500ms, 30s, 5m, 1h30m'),
  ).action((duration: string, flags: ClockFlags) => callClock(flags, 'POST', `/advance?by=${encodeURIComponent(duration)}`));
  withKubeconfig(
    clock
      .command('run-until-idle')
      .description('jump from timer to timer until none is left')
      .option('--max <duration>', 'stop after this much simulated time', '1h'),
  ).action((flags: ClockFlags) => callClock(flags, 'POST', `/run-until-idle?max=${encodeURIComponent(flags.max ?? '1h')}`));
}
