/**
 * An emulator on virtual time for the workload controllers' unit tests: the
 * real API and the real control plane, stepped by hand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../../src/api/types.js';
import type { Client, KindRef } from '../../../../src/client/client.js';
import { startEmulator } from '../../../../src/emulator.js';
import type { VirtualClock } from '../../../../src/runtime/clock.js';

export interface Harness {
  client: Client;
  clock: VirtualClock;
  /** Advances time in steps until `check` answers something, or fails after `timeoutMs` of virtual time. */
  eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  get<T extends KubeObject = KubeObject>(ref: KindRef, namespace: string | undefined, name: string): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(ref: KindRef, namespace?: string, labelSelector?: string): Promise<T[]>;
}

export async function startHarness(t: { teardown(fn: () => unknown): void }): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'workloads-test-'));
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    clock: 'virtual',
    dataDir: dir,
  });
  t.teardown(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const clock = emulator.clock as VirtualClock;
  const client = emulator.client;
  const get = async <T extends KubeObject>(ref: KindRef, namespace: string | undefined, name: string): Promise<T | undefined> => {
    try {
      return await client.get<T>(ref, namespace, name);
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };
  return {
    client,
    clock,
    get,
    list: async <T extends KubeObject>(ref: KindRef, namespace?: string, labelSelector?: string) =>
      (await client.list<T>(ref, { namespace, labelSelector })).items,
    async eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
      const stepMs = 250;
      for (let waited = 0; waited <= timeoutMs; waited += stepMs) {
        const result = await check();
        if (result !== undefined && result !== false) return result;
        await clock.advance(stepMs);
      }
      throw new Error(`condition not met within ${timeoutMs} ms of virtual time`);
    },
  };
}

const POD = { apiVersion: 'v1', kind: 'Pod' } as const;

/** Pods of the tests ask for a node label no node has, so no scheduler or kubelet touches them and the test plays kubelet. */
export const UNSCHEDULABLE = { 'workloads-test/never': 'true' };

/** Plays kubelet: every live pod matching the selector becomes Running and Ready now; answers how many changed. */
export async function markPodsReady(h: Harness, namespace: string, labelSelector: string): Promise<number> {
  let changed = 0;
  for (const pod of await h.list(POD, namespace, labelSelector)) {
    const status = (pod.status ?? {}) as { phase?: string; conditions?: Array<{ type: string; status: string }> };
    if (pod.metadata.deletionTimestamp || status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const now = `${h.clock.now().toISOString().slice(0, 19)}Z`;
    await h.client.update(
      { ...pod, status: { ...status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } },
      { subresource: 'status' },
    );
    changed++;
  }
  return changed;
}
