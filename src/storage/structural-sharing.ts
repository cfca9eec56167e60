/**
 * A written object arrives as a fresh copy (decoded, defaulted, admitted), so
 * two versions of one object would share nothing: the watch history would
 * hold every version in full, and each comparison of old and new would walk
 * both whole. `shareUnchanged` gives the new version the previous version's
 * (frozen) subtrees wherever they are equal, key order included, so versions
 * share what did not change, as immer's structural sharing would. Strings
 * come from a pool, so an object's many copies of one timestamp or name are one.
 */

import type { StringPool } from './string-pool.js';

type Json = unknown;

const isPlainObject = (value: Json): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `next` with every subtree that equals the same place in `previous` replaced
 * by `previous`'s (`previous` itself when the two are equal), and every other
 * string taken from `strings`. Costs one walk of `next`, whose unfrozen parts
 * it rewrites in place: call it only on an object about to be stored (and
 * frozen), with the stored version before it, if any.
 */
export function shareUnchanged<T>(next: T, previous: unknown, strings: StringPool): T {
  return share(next, previous, strings) as T;
}

function share(next: Json, previous: Json, strings: StringPool): Json {
  if (next === previous) return previous;
  if (typeof next === 'string') return strings.intern(next);
  if (Array.isArray(next)) {
    const before = Array.isArray(previous) ? previous : undefined;
    const writable = !Object.isFrozen(next);
    if (!writable && !before) return next;
    let same = next.length === before?.length;
    for (let i = 0; i < next.length; i++) {
      const shared = share(next[i], before?.[i], strings);
      if (shared !== before?.[i]) same = false;
      // Written even when `===` holds: equal strings may still be two copies.
      if (writable) next[i] = shared;
    }
    return same ? previous : next;
  }
  if (!isPlainObject(next)) return next;
  const before = isPlainObject(previous) ? previous : undefined;
  const writable = !Object.isFrozen(next);
  if (!writable && !before) return next;
  const keys = Object.keys(next);
  const previousKeys = before ? Object.keys(before) : [];
  let same = before !== undefined && keys.length === previousKeys.length;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (previousKeys[i] !== key) same = false;
    const earlier = before && Object.hasOwn(before, key) ? before[key] : undefined;
    const shared = share(next[key], earlier, strings);
    if (shared !== earlier) same = false;
    if (writable) next[key] = shared;
  }
  return same ? previous : next;
}
