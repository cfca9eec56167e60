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
 * Deep-frozen subtrees found to hold no null (stored objects never change, so the answer holds). Only subtrees with
 * an object inside are remembered: a leaf is checked again at the cost of remembering it, and leaves are most of the
 * nodes of every stored object version.
 */
const nullFree = new WeakSet<object>();

/**
 * Whether `value` is deep-frozen and null-free: such a subtree, typically an
 * unchanged part of a stored object that a component writes back, is kept
 * as it is instead of copied, so a write costs what it changes.
 */
function isNullFreeFrozen(value: object): boolean {
  if (!Object.isFrozen(value)) return false;
  if (nullFree.has(value)) return true;
  let leaf = true;
  for (const field of Object.values(value)) {
    if (field === null) return false;
    if (typeof field === 'object') {
      if (!isNullFreeFrozen(field as object)) return false;
      leaf = false;
    }
  }
  if (!leaf) nullFree.add(value);
  return true;
}
