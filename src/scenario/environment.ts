/**
 * Where a scenario runs. In-process (the default): a fresh emulator on a
 * virtual clock, with the scenario's setup (workers, profile, seed, KubeVirt
 * installed from the release manifests), stopped afterwards. Remote
 * (`--kubeconfig`): an emulator already running, on real time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterContext } from '../cluster/context.js';
import { startEmulator, type RunningEmulator } from '../emulator.js';
import type { VirtualClock } from '../runtime/clock.js';
import { ComponentManager } from '../runtime/component.js';
import { SharedInformerFactory } from '../runtime/informer.js';
import { silentLogger } from '../runtime/logger.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { faultComponents } from '../simulation/faults.js';
import { builtinProfile } from '../simulation/profile.js';
import { ClusterApi } from './cluster-api.js';
import { realTime, virtualTime, type ScenarioTime } from './sim-time.js';
import type { ScenarioSetup } from './types.js';

export interface Environment {
  api: ClusterApi;
  time: ScenarioTime;
  kubeconfigPath: string;
  kubectlCacheDir: string;
  stop(): Promise<void>;
}

const FAULT_CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/faults.emulator.kubevirt.io';

/**
 * Runs the fault controller beside an emulator whose control plane does not
 * (yet) include it, so Fault objects work in-process either way; a no-op
 * once the control plane installs the Fault CRD itself.
 */
async function ensureFaultController(emulator: RunningEmulator, api: ClusterApi, profile: string): Promise<() => Promise<void>> {
  if ((await api.request('GET', FAULT_CRD_PATH)).status === 200) return async () => {};
  const informers = new SharedInformerFactory(emulator.client, { clock: emulator.clock, logger: silentLogger });
  const ctx: ClusterContext = {
    client: emulator.client,
    informers,
    clock: emulator.clock,
    random: new SeededRandom(1),
    profile: builtinProfile(profile)!,
    logger: silentLogger,
    workers: 0,
    serveSubresource: () => {},
  };
  const manager = new ComponentManager(silentLogger);
  for (const component of faultComponents(ctx)) manager.add(component);
  informers.start();
  await manager.start();
  return async () => {
    await manager.stop();
    informers.stop();
  };
}

export async function inProcessEnvironment(setup: ScenarioSetup = {}): Promise<Environment> {
  const dir = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-scenario-'));
  const profile = setup.profile ?? 'instant';
  try {
    const emulator = await startEmulator({
      port: 0,
      insecureHttp: true,
      kubeconfigPath: join(dir, 'kubeconfig'),
      dataDir: dir,
      clock: 'virtual',
      workers: setup.workers ?? 1,
      profile,
      seed: setup.seed,
      logLevel: 'error',
    });
    const api = new ClusterApi(emulator.kubeconfigPath);
    const stopFaults = await ensureFaultController(emulator, api, profile);
    return {
      api,
      time: virtualTime(emulator.clock as VirtualClock),
      kubeconfigPath: emulator.kubeconfigPath,
      kubectlCacheDir: join(dir, 'kube-cache'),
      async stop() {
        await stopFaults();
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
