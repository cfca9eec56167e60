/**
 * KubeVirt installed into a running emulator the way its documentation says:
 * apply the release's kubevirt-operator.yaml, then kubevirt-cr.yaml, then wait
 * until the KubeVirt CR reports Available. The manifests are the ones the
 * project embeds (schemas/kubevirt/manifests, KubeVirt v1.9.0-rc.2). Used by
 * `serve --install-kubevirt` and `startEmulator({ installKubeVirt: true })`.
 */
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../api/types.js';
import type { Client, KindRef } from '../client/client.js';
import { VirtualClock, type Clock } from '../runtime/clock.js';
import { yamlDocuments } from '../runtime/yaml-data.js';

const MANIFESTS = new URL('../../schemas/kubevirt/manifests/', import.meta.url);
const CRD_REF: KindRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
const KUBEVIRT_REF: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt' };
/** The field manager of the objects this installer applies, as `kubectl apply --server-side` would record its own. */
const FIELD_MANAGER = 'kubevirt-emulator-install';
/** How often the installer looks again while waiting, in the emulator's time. */
const POLL_MS = 50;

export interface InstallOptions {
  /** Give up after this long in the emulator's time. Default 10 minutes. */
  timeoutMs?: number;
}

/** How long each documented step took, in milliseconds of the emulator's clock. */
export interface InstallTimings {
  applyOperatorMs: number;
  applyCustomResourceMs: number;
  waitAvailableMs: number;
}

interface Condition {
  type: string;
  status: string;
}

/** The objects of a release manifest (`kubevirt-operator.yaml`, `kubevirt-cr.yaml`), in the file's order. */
export const releaseManifest = (file: string): KubeObject[] =>
  (yamlDocuments(readFileSync(new URL(file, MANIFESTS), 'utf8')) as Array<KubeObject | null>).filter(
    (obj): obj is KubeObject => obj !== null,
  );

const conditionTrue = (obj: KubeObject, type: string): boolean =>
  ((obj.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

async function applyAll(client: Client, objects: KubeObject[]): Promise<void> {
  for (const obj of objects) {
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind };
    await client.patch(ref, obj.metadata.namespace, obj.metadata.name ?? '', 'apply', obj, { fieldManager: FIELD_MANAGER, force: true });
  }
}

/**
 * Waits for `probe` to hold. On a virtual clock nobody else moves time, so
 * the wait advances it; on a real clock it sleeps between looks.
 */
async function waitFor(clock: Clock, what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = clock.nowMs() + timeoutMs;
  while (!(await probe())) {
    if (clock.nowMs() >= deadline) throw new Error(`installing KubeVirt: timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    if (clock instanceof VirtualClock) await clock.advance(POLL_MS);
    else await clock.sleep(POLL_MS);
  }
}

async function found(read: () => Promise<KubeObject>, holds: (obj: KubeObject) => boolean): Promise<boolean> {
  try {
    return holds(await read());
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return false;
    throw err;
  }
}

export async function installKubeVirt(emulator: { client: Client; clock: Clock }, options: InstallOptions = {}): Promise<InstallTimings> {
  const { client, clock } = emulator;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const started = clock.nowMs();
  await applyAll(client, releaseManifest('kubevirt-operator.yaml'));
  // kubectl would retry the CR until the API serves it; the installer waits for the CRD to be Established instead.
  await waitFor(clock, 'the kubevirts.kubevirt.io CRD', timeoutMs, () =>
    found(
      () => client.get(CRD_REF, undefined, 'kubevirts.kubevirt.io'),
      (crd) => conditionTrue(crd, 'Established'),
    ),
  );
  const operatorApplied = clock.nowMs();
  const customResources = releaseManifest('kubevirt-cr.yaml');
  await applyAll(client, customResources);
  const crApplied = clock.nowMs();
  for (const cr of customResources) {
    await waitFor(clock, `KubeVirt ${cr.metadata.namespace}/${cr.metadata.name} Available`, timeoutMs, () =>
      found(
        () => client.get(KUBEVIRT_REF, cr.metadata.namespace, cr.metadata.name ?? ''),
        (kv) => conditionTrue(kv, 'Available'),
      ),
    );
  }
  return {
    applyOperatorMs: operatorApplied - started,
    applyCustomResourceMs: crApplied - operatorApplied,
    waitAvailableMs: clock.nowMs() - crApplied,
  };
}
