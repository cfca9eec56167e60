/** Structural comparisons the registry makes on plain JSON objects. */

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && deepEqual((a as Record<string, unknown>)[k], bo[k]));
}

/** The object without the given top-level fields (e.g. metadata and status, to compare a spec). */
export function without(obj: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!fields.includes(k)) out[k] = v;
  return out;
}

/**
 * Drops keys whose value is null, recursively: Go decodes `"field": null` as
 * the zero value, so clients rely on null meaning "absent" in request bodies.
 * Returns a copy, sharing only deep-frozen subtrees without nulls.
 */
export function dropNulls<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (isNullFreeFrozen(value)) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = dropNulls(value[i]);
    return copy as T;
  }
  // A copy, so the caller's own (unfrozen) objects never become part of, and frozen with, the stored object.
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== null) copy[key] = dropNulls(field);
  }
  return copy as T;
}

/**
 * Deep-frozen subtrees found to hold no null (stored objects never change, so the answer holds). Only subtrees of at
 * least MEMO_MIN_OBJECTS objects are remembered: a small one is checked again at about the cost of remembering it
 * (a weak-set entry), and small subtrees (conditions, resources, labels, a fieldsV1 leaf set) are most of the
 * objects of every stored version, so remembering each held about 4 KiB per running VM.
 */
const nullFree = new WeakSet<object>();
const MEMO_MIN_OBJECTS = 8;

/**
 * Whether `value` is deep-frozen and null-free: such a subtree, typically an
 * unchanged part of a stored object that a component writes back, is kept
 * as it is instead of copied, so a write costs what it changes.
 */
const isNullFreeFrozen = (value: object): boolean => nullFreeObjects(value) > 0;

/** The number of objects in `value` (itself included) when it is deep-frozen and null-free; 0 otherwise. */
function nullFreeObjects(value: object): number {
  if (!Object.isFrozen(value)) return 0;
  if (nullFree.has(value)) return MEMO_MIN_OBJECTS;
  let objects = 1;
  // Indexes for a list, for-in for an object: no array of the values made for each object walked.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inside = nullFreeField(value[i]);
      if (inside < 0) return 0;
      objects += inside;
    }
  } else {
    for (const key in value) {
      const inside = nullFreeField((value as Record<string, unknown>)[key]);
      if (inside < 0) return 0;
      objects += inside;
    }
  }
  if (objects >= MEMO_MIN_OBJECTS) nullFree.add(value);
  return objects;
}

/** The objects in a field's value: none for a scalar, -1 when it is null or holds one (or is not frozen). */
function nullFreeField(field: unknown): number {
  if (field === null) return -1;
  if (typeof field !== 'object') return 0;
  return nullFreeObjects(field as object) || -1;
}

/**
 * `next` with each subtree that equals (key order included) the same place in `old` replaced by `old`'s own: what
 * an update's admitted object is made of before the rest of the write path looks at it. Writers hand in fresh copies
 * of parts they did not change (a webhook replacing the whole spec, a kubelet rebuilding the pod status, a body
 * decoded without its nulls); as `old`'s (frozen, stored) parts, they cost pruning, validation and the managed fields'
 * diff a lookup or an identity check instead of a walk, and the store's sharing walk nothing. Copies only the objects
 * above a replaced subtree; `next` itself is left alone. Frozen parts of `next` are taken as they are.
 */
export function keepUnchanged<T>(next: T, old: unknown): T {
  return kept(next, old) as T;
}

function kept(next: unknown, old: unknown): unknown {
  if (next === old) return old;
  if (typeof next !== 'object' || next === null || typeof old !== 'object' || old === null || Object.isFrozen(next)) return next;
  if (Array.isArray(next)) return Array.isArray(old) ? keptItems(next, old) : next;
  return Array.isArray(old) ? next : keptFields(next as Record<string, unknown>, old as Record<string, unknown>);
}

function keptItems(next: unknown[], old: unknown[]): unknown[] {
  let same = next.length === old.length;
  let copy: unknown[] | undefined;
  for (let i = 0; i < next.length; i++) {
    const item = i < old.length ? kept(next[i], old[i]) : next[i];
    if (item !== old[i] || i >= old.length) same = false;
    if (item !== next[i]) (copy ??= next.slice())[i] = item;
  }
  return same ? old : (copy ?? next);
}

function keptFields(next: Record<string, unknown>, old: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(next);
  const oldKeys = Object.keys(old);
  let same = keys.length === oldKeys.length;
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const present = Object.hasOwn(old, key);
    const field = present ? kept(next[key], old[key]) : next[key];
    if (!present || field !== old[key] || oldKeys[i] !== key) same = false;
    if (field !== next[key] && !copy) {
      copy = {};
      for (let k = 0; k < i; k++) setField(copy, keys[k], next[keys[k]]);
    }
    if (copy) setField(copy, key, field);
  }
  return same ? old : (copy ?? next);
}

/** A JSON body may have an own "__proto__" field: defined as a field, never set as the prototype. */
function setField(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}
