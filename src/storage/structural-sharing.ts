/**
 * A written object arrives as a fresh copy (decoded, defaulted, admitted), so
 * two versions of one object would share nothing: the watch history would
 * hold every version in full, and each comparison of old and new would walk
 * both whole. `shareUnchanged` gives the new version the previous version's
 * (frozen) subtrees wherever they are equal, key order included, so versions
 * share what did not change, as immer's structural sharing would. Strings
 * come from a pool, so an object's many copies of one timestamp or name are one.
 * The same walk freezes what it keeps of the new version, so storing an object
 * needs no second, recursive freeze.
 */

import type { StringPool } from './string-pool.js';

type Json = unknown;
type JsonRecord = Record<string, Json>;

/**
 * `next` with every subtree that equals the same place in `previous` replaced
 * by `previous`'s (`previous` itself when the two are equal), every other
 * string taken from `strings`, and every object and array deep-frozen. Costs
 * one walk of `next`'s unfrozen parts (and of its frozen parts where
 * `previous` has something to compare), which it rewrites in place (its new
 * arrays replaced by exact frozen copies): call it
 * only on an object about to be stored, with the stored version before it, if
 * any. A frozen subtree is taken to be deep-frozen, as the store keeps them.
 */
export function shareUnchanged<T>(next: T, previous: unknown, strings: StringPool): T {
  return share(next, previous, strings) as T;
}

function share(next: Json, previous: Json, strings: StringPool): Json {
  if (next === previous) return previous;
  if (typeof next !== 'object' || next === null) return typeof next === 'string' ? strings.intern(next) : next;
  // A frozen subtree (a part of a stored version the writer kept) cannot take `previous`'s parts or pooled strings:
  // it is `previous` itself when the two are equal, and stays as it is otherwise, so a comparison that stops at the
  // first difference is all it needs, without a pool lookup per string.
  if (Object.isFrozen(next)) return sameJson(next, previous) ? previous : next;
  if (Array.isArray(next)) return shareArray(next, Array.isArray(previous) ? previous : undefined, strings);
  const before = typeof previous === 'object' && previous !== null && !Array.isArray(previous) ? (previous as JsonRecord) : undefined;
  return shareRecord(next as JsonRecord, before, strings);
}

/** Shares into a writable array, then freezes it. */
function shareArray(next: Json[], before: Json[] | undefined, strings: StringPool): Json {
  let same = next.length === before?.length;
  for (let i = 0; i < next.length; i++) {
    const earlier = before?.[i];
    const shared = share(next[i], earlier, strings);
    if (shared !== earlier) same = false;
    // Written even when `===` holds: equal strings may still be two copies.
    next[i] = shared;
  }
  if (same) return before;
  // A kept array is stored as an exact copy: one built by push (or filter) has room for 17 elements or more, which
  // the stored version and the watch history would hold for as long as they keep it. The parent (writable: a frozen
  // subtree never reaches here) takes the copy in its place.
  return Object.freeze(next.slice());
}

/** Shares into a writable object, then freezes it. */
function shareRecord(next: JsonRecord, before: JsonRecord | undefined, strings: StringPool): Json {
  let same = before !== undefined;
  // for-in, not Object.keys: no array per object. A JSON object has no enumerable inherited keys.
  for (const key in next) {
    const present = before !== undefined && Object.hasOwn(before, key);
    const earlier = present ? before[key] : undefined;
    const shared = share(next[key], earlier, strings);
    if (shared !== earlier || !present) same = false;
    next[key] = shared;
  }
  // Every value is the previous one: the two are equal if they have the same keys, in the same order.
  if (same && sameKeys(next, before!)) return before;
  return Object.freeze(next);
}

/** Whether two JSON values are equal, key order included (the sharing walk's notion of equal). */
function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as Json[];
    if (a.length !== other.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], other[i])) return false;
    return true;
  }
  const [x, y] = [a as JsonRecord, b as JsonRecord];
  if (!sameKeys(x, y)) return false;
  for (const key in x) if (!sameJson(x[key], y[key])) return false;
  return true;
}

function sameKeys(a: JsonRecord, b: JsonRecord): boolean {
  const [x, y] = [Object.keys(a), Object.keys(b)];
  return x.length === y.length && x.every((key, i) => key === y[i]);
}
