/** An emulator on virtual time for the node tests, and small waits on it. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../../src/api/types.js';
import type { KindRef } from '../../../../src/client/client.js';
import type { Pod } from '../../../../src/kube/pods.js';
import { startEmulator, type RunningEmulator } from '../../../../src/emulator.js';
import type { VirtualClock } from '../../../../src/runtime/clock.js';

export interface TestHost {
  teardown(fn: () => unknown): void;
}

export interface VirtualEmulator {
  emulator: RunningEmulator;
  clock: VirtualClock;
}

export async function virtualEmulator(t: TestHost, options: { workers?: number; profile?: string } = {}): Promise<VirtualEmulator> {
  const dir = await mkdtemp(join(tmpdir(), 'nodes-test-'));
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    clock: 'virtual',
    logLevel: 'error',
    ...options,
  });
  t.teardown(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { emulator, clock: emulator.clock as VirtualClock };
}

/** Advances virtual time in steps until `check` passes (or throws after `maxMs`). */
export async function until<T>(clock: VirtualClock, check: () => Promise<T | undefined | false>, maxMs = 60_000, stepMs = 100): Promise<T> {
  for (let waited = 0; ; waited += stepMs) {
    const result = await check();
    if (result) return result;
    if (waited >= maxMs) throw new Error(`condition not met after ${maxMs} ms of virtual time`);
    await clock.advance(stepMs);
  }
}

export const POD = { apiVersion: 'v1', kind: 'Pod' } as const satisfies KindRef;

export function podOn(
  nodeName: string,
  name: string,
  extra: Partial<Pod['spec']> = {},
  metadata: Partial<KubeObject['metadata']> = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...metadata },
    spec: { nodeName, containers: [{ name: 'nginx', image: 'nginx:1.27' }], ...extra },
  };
}
