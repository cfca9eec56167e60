/**
 * A running emulator (simulated nodes, scheduler, kubelets, workload
 * controllers and virt-operator) on a virtual clock, with the steps a test
 * needs: apply the release manifests and wait for a state while time moves on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectYamlDocuments } from '../../../helpers/project-yaml.js';
import type { KubeObject } from '../../../../src/api/types.js';
import type { Client, KindRef } from '../../../../src/client/client.js';
import { startEmulator, type RunningEmulator } from '../../../../src/emulator.js';
import type { VirtualClock } from '../../../../src/runtime/clock.js';

export const KUBEVIRT_REF: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt' };
const manifestsDir = new URL('../../../../schemas/kubevirt/manifests/', import.meta.url);

export interface Harness {
  emulator: RunningEmulator;
  client: Client;
  /** Polls `probe` until it answers, moving virtual time one second per poll (probe delays, retries). */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'virt-operator-test-'));
  // Realistic timings, on virtual time: the phases between apply and Available are long enough to observe.
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    workers: 1,
    clock: 'virtual',
    profile: 'realistic',
  });
  const clock = emulator.clock as VirtualClock;
  return {
    emulator,
    client: emulator.client,
    waitFor: (what, probe, timeoutMs) => waitFor(what, probe, () => clock.advance(1000), timeoutMs),
    async stop() {
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function manifest(file: string): KubeObject[] {
  return projectYamlDocuments<KubeObject>(new URL(file, manifestsDir));
}

/** Creates each object, as `kubectl apply` does on an empty cluster; `edit` may change one first. */
export async function applyAll(client: Client, objects: KubeObject[], edit: (obj: KubeObject) => KubeObject = (obj) => obj): Promise<void> {
  for (const obj of objects) await client.create(edit(obj));
}

const POLL_PAUSE_MS = 10;

/**
 * Gives up after `timeoutMs / POLL_PAUSE_MS` polls, about `timeoutMs` of wall time on an idle machine: a budget of
 * polls (each a second of virtual time) rather than a wall-clock deadline, so a loaded machine slows the test down
 * instead of failing it.
 */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, tick: () => Promise<void>, timeoutMs = 20_000): Promise<T> {
  let lastError: unknown;
  for (let poll = 0; poll < timeoutMs / POLL_PAUSE_MS; poll++) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    await tick();
    await new Promise((resolve) => setTimeout(resolve, POLL_PAUSE_MS));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export async function tryGet(client: Client, ref: KindRef, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(ref, namespace, name);
  } catch {
    return undefined;
  }
}
