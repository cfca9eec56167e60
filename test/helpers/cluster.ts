/**
 * `withEmulator(t)`: an emulator on a free port for one tap test, with its
 * own kubeconfig and kubectl cache, stopped and cleaned up at teardown.
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator.js';
import { diskMemoDir } from '../../src/runtime/disk-memo.js';
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

/**
 * The data directory every test process of the user shares (the CA, the serving and admin certificates, the token
 * file, the service-account key), next to the derived-data cache (src/runtime/disk-memo.ts) and kept between runs,
 * as `serve` keeps ~/.kubevirt-emulator: its files are made once and reused while valid, and emulators starting
 * together publish them atomically (src/pki/certificates.ts). A directory per process cost each test file about
 * 0.3 CPU-s: loading the X.509 library and making a CA, a serving and an admin certificate.
 */
const SHARED_DATA_DIR = join(diskMemoDir(), 'test-data');

let dataDir: Promise<string> | undefined;

/** The shared directory, or where it cannot be made (a read-only home) one of this process's own, removed at exit. */
function testDataDir(): Promise<string> {
  dataDir ??= mkdir(SHARED_DATA_DIR, { recursive: true, mode: 0o700 }).then(
    () => SHARED_DATA_DIR,
    async () => {
      const own = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-data-'));
      process.once('exit', () => rmSync(own, { recursive: true, force: true }));
      return own;
    },
  );
  return dataDir;
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
    dataDir: await testDataDir(),
    ...options,
  });
  const kubeconfigPath = emulator.kubeconfigPath;
  return {
    emulator,
    kubeconfigPath,
    kubectl: (args, kubectlOptions = {}) => runKubectl(args, { kubeconfig: kubeconfigPath, cacheDir, ...kubectlOptions }),
  };
}
