/**
 * Where a scenario runs. In-process (the default): a fresh emulator on a
 * virtual clock (or on real time with `--clock real`), with the scenario's
 * setup (workers, profile, seed, KubeVirt installed from the release
 * manifests), stopped afterwards. Remote (`--kubeconfig`): an emulator
 * already running, on real time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../emulator.js';
import type { VirtualClock } from '../runtime/clock.js';
import { ClusterApi } from './cluster-api.js';
import { realTime, virtualTime, type ScenarioTime } from './sim-time.js';
import type { ScenarioSetup } from './types.js';

export type ClockMode = 'virtual' | 'real';

export interface Environment {
  api: ClusterApi;
  time: ScenarioTime;
  kubeconfigPath: string;
  kubectlCacheDir: string;
  stop(): Promise<void>;
}

export async function inProcessEnvironment(setup: ScenarioSetup = {}, clock: ClockMode = 'virtual'): Promise<Environment> {
  const dir = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-scenario-'));
  const profile = setup.profile ?? 'instant';
  try {
    const emulator = await startEmulator({
      port: 0,
      insecureHttp: true,
      kubeconfigPath: join(dir, 'kubeconfig'),
      dataDir: dir,
      clock,
      workers: setup.workers ?? 1,
      profile,
      seed: setup.seed,
      logLevel: 'error',
    });
    const api = new ClusterApi(emulator.kubeconfigPath);
    return {
      api,
      time: clock === 'virtual' ? virtualTime(emulator.clock as VirtualClock) : realTime(),
      kubeconfigPath: emulator.kubeconfigPath,
      kubectlCacheDir: join(dir, 'kube-cache'),
      async stop() {
        await emulator.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function remoteEnvironment(kubeconfigPath: string): Promise<Environment> {
  const dir = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-scenario-'));
  return {
    api: new ClusterApi(kubeconfigPath),
    time: realTime(),
    kubeconfigPath,
    kubectlCacheDir: join(dir, 'kube-cache'),
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}
