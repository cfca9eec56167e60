/**
 * `kubevirt-emulator serve`: start the emulator, announce it on one line
 * that scripts can wait for, and stop cleanly on SIGINT or SIGTERM.
 */
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../emulator.js';
import { INSECURE_HTTP_WARNING } from '../server/insecure-http.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function readyLine(emulator: Pick<RunningEmulator, 'url' | 'kubeconfigPath'>): string {
  return `kubevirt-emulator ready: ${emulator.url} kubeconfig=${emulator.kubeconfigPath}`;
}

/** Resolves once a stop signal arrived and the emulator stopped. A second signal while stopping exits at once. */
function stopOnSignal(emulator: RunningEmulator): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) process.exit(1);
      stopping = true;
      emulator.stop().then(resolve, reject);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  });
}

export async function serve(options: EmulatorOptions): Promise<void> {
  const emulator = await startEmulator(options);
  if (options.insecureHttp) process.stderr.write(`${INSECURE_HTTP_WARNING}\n`);
  process.stdout.write(`${readyLine(emulator)}\n`);
  await stopOnSignal(emulator);
}
