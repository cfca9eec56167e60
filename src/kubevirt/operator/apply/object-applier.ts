/**
 * Create-or-correct of one managed object. An object is left alone while
 * every field the strategy sets is present with the strategy's value (the
 * server may add defaults); otherwise the strategy's fields are merged back
 * onto it. That restores a deleted or edited operand, and a field the server
 * normalizes cannot cause an endless update loop: an object the applier wrote
 * itself for the same desired state is not written again.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../../api/types.js';
import type { Client, KindRef } from '../../../client/client.js';

const refOf = (obj: KubeObject): KindRef => ({ apiVersion: obj.apiVersion, kind: obj.kind });
const keyOf = (obj: KubeObject): string => `${obj.apiVersion}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Whether `actual` holds every value of `desired` (objects by key, arrays element-wise with equal length). */
export function containsDesired(actual: unknown, desired: unknown): boolean {
  if (Array.isArray(desired))
    return Array.isArray(actual) && actual.length === desired.length && desired.every((item, i) => containsDesired(actual[i], item));
  if (isObject(desired)) return isObject(actual) && Object.entries(desired).every(([key, value]) => containsDesired(actual[key], value));
  if (desired === null || desired === undefined) return actual === null || actual === undefined;
  // Int-or-string fields may come back in the other form.
  return actual === desired || (actual !== undefined && actual !== null && String(actual) === String(desired));
}

/**
 * containsDesired's answers for frozen pairs (the informer's stored objects, desiredState's objects): a reconcile
 * asks it for each of some two hundred managed objects, and between changes the answers stay the same. The answers
 * are kept for the top-level fields too: a write of an object's status stores a new object whose spec is the old one
 * (the store shares unchanged subtrees), so a CRD's status update does not walk its megabyte of schema again.
 */
const answers = new WeakMap<object, WeakMap<object, boolean>>();
/** The object and its top-level fields. */
const REMEMBERED_DEPTH = 1;

function holdsDesired(current: unknown, desired: unknown, depth = 0): boolean {
  if (depth > REMEMBERED_DEPTH || !isObject(current) || !isObject(desired) || !Object.isFrozen(current) || !Object.isFrozen(desired)) {
    return containsDesired(current, desired);
  }
  let byDesired = answers.get(current);
  if (!byDesired) answers.set(current, (byDesired = new WeakMap()));
  let answer = byDesired.get(desired);
  if (answer === undefined) {
    answer = Object.entries(desired).every(([key, value]) => holdsDesired(current[key], value, depth + 1));
    byDesired.set(desired, answer);
  }
  return answer;
}

/** sha1 of a desired object's JSON, kept for frozen ones (desiredState's objects are the same between reconciles). */
const desiredHashes = new WeakMap<object, string>();

function desiredHashOf(desired: KubeObject): string {
  let hash = desiredHashes.get(desired);
  if (hash === undefined) {
    hash = createHash('sha1').update(JSON.stringify(desired)).digest('hex');
    if (Object.isFrozen(desired)) desiredHashes.set(desired, hash);
  }
  return hash;
}

const isCode = (err: unknown, code: number): boolean => (err as { code?: unknown }).code === code;

export class ObjectApplier {
  /** What the applier last wrote per object: its resourceVersion and the desired state it wrote. */
  private readonly written = new Map<string, { resourceVersion: string; desiredHash: string }>();

  constructor(private readonly client: Client) {}

  /** Makes the stored object hold `desired`; returns the stored object. `existing` is the cached state (may be stale or absent). */
  async apply(desired: KubeObject, existing: KubeObject | undefined): Promise<KubeObject> {
    const current = existing ?? (await this.read(desired));
    if (!current) {
      try {
        return this.remember(desired, await this.client.create(desired));
      } catch (err) {
        if (!isCode(err, 409)) throw err;
        const found = await this.read(desired);
        if (!found) throw err;
        return this.update(desired, found);
      }
    }
    return this.update(desired, current);
  }

  /** Deletes `obj` of kind `ref` (list items need not carry their kind); gone already is fine. */
  async delete(ref: KindRef, obj: KubeObject, gracePeriodSeconds?: number): Promise<void> {
    try {
      await this.client.delete(
        ref,
        obj.metadata.namespace,
        obj.metadata.name ?? '',
        gracePeriodSeconds === undefined ? undefined : { gracePeriodSeconds },
      );
    } catch (err) {
      if (!isCode(err, 404)) throw err;
    }
    this.written.delete(keyOf({ ...obj, ...ref }));
  }

  private async update(desired: KubeObject, current: KubeObject): Promise<KubeObject> {
    if (holdsDesired(current, desired)) return current;
    const desiredHash = desiredHashOf(desired);
    const last = this.written.get(keyOf(desired));
    if (last && last.resourceVersion === current.metadata.resourceVersion && last.desiredHash === desiredHash) return current;
    // A merge patch preconditioned on the resourceVersion: virt-operator's RBAC grants `patch` (not `update`) on what it deploys.
    const patch = { ...desired, metadata: { ...desired.metadata, resourceVersion: current.metadata.resourceVersion } };
    return this.remember(
      desired,
      await this.client.patch(refOf(desired), desired.metadata.namespace, desired.metadata.name ?? '', 'merge', patch),
    );
  }

  private async read(desired: KubeObject): Promise<KubeObject | undefined> {
    try {
      return await this.client.get(refOf(desired), desired.metadata.namespace, desired.metadata.name ?? '');
    } catch (err) {
      if (isCode(err, 404)) return undefined;
      throw err;
    }
  }

  private remember(desired: KubeObject, stored: KubeObject): KubeObject {
    const desiredHash = desiredHashOf(desired);
    this.written.set(keyOf(desired), { resourceVersion: stored.metadata.resourceVersion ?? '', desiredHash });
    return stored;
  }
}
