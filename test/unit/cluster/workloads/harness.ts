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
  const emulator = await startEmulator({ port: 0, insecureHttp: true, kubeconfigPath: join(dir, 'kubeconfig'), clock: 'virtual', dataDir: dir });
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
    list: async <T extends KubeObject>(ref: KindRef, namespace?: string, labelSelector?: string) => (await client.list<T>(ref, { namespace, labelSelector })).items,
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
