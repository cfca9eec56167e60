/**
 * `withEmulator(t)`: an emulator on a free port for one tap test, with its
 * own kubeconfig and kubectl cache, stopped and cleaned up at teardown.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator.js';
import { runKubectl, type KubectlOptions, type KubectlResult } from './kubectl.js';

/** The part of a tap test this helper needs. */
export interface TeardownHost {
  teardown(fn: () => unknown): void;
}

export interface EmulatorFixture {
  emulator: RunningEmulator;
  kubeconfigPath: string;
  kubectl(args: string[], options?: Pick<KubectlOptions, 'input' | 'env' | 'timeoutMs'>): Promise<KubectlResult>;
}

let sharedDataDir: Promise<string> | undefined;

/**
 * One data directory per test process (tap runs each test file in its own),
 * so the CA and serving certificate are made once per file, not per test.
 */
function dataDirForThisFile(): Promise<string> {
  sharedDataDir ??= mkdtemp(join(tmpdir(), 'kubevirt-emulator-data-')).then((dir) => {
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return sharedDataDir;
}

export async function withEmulator(t: TeardownHost, options: EmulatorOptions = {}): Promise<EmulatorFixture> {
  const workDir = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-test-'));
  const cacheDir = join(workDir, 'kube-cache');
  let emulator: RunningEmulator | undefined;
  t.teardown(async () => {
    await emulator?.stop();
    await rm(workDir, { recursive: true, force: true });
  });
  emulator = await startEmulator({
    port: 0,
    logLevel: 'error',
    kubeconfigPath: join(workDir, 'kubeconfig'),
    dataDir: await dataDirForThisFile(),
    ...options,
  });
  const kubeconfigPath = emulator.kubeconfigPath;
  return {
    emulator,
    kubeconfigPath,
    kubectl: (args, kubectlOptions = {}) => runKubectl(args, { kubeconfig: kubeconfigPath, cacheDir, ...kubectlOptions }),
  };
}
