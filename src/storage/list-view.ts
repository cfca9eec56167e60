/**
 * A list read of one resource (one namespace or all) at a revision, as etcd
 * serves a range: from a key on, in key order, and how many keys follow one.
 * A page costs its length and the writes since the revision, never a copy or
 * a sort of the whole resource, so every page of a chunked list of 10,000
 * objects costs the same, writes in between or not.
 */
import type { KubeObject } from '../api/types.js';
import type { StoreEvent } from './store.js';

export interface ListView {
  /** The objects in list order, from the first whose key is not before `startKey`. */
  from(startKey: string): Iterable<KubeObject>;
  /** How many objects come after `key` in list order. */
  countAfter(key: string): number;
}

/** An object's key within the list: "<namespace>/<name>" across namespaces, the name within one (or cluster-scoped). */
export type ListKey = (obj: KubeObject) => string;

/** What a collection gives a view: its objects with their list keys, from a key on, and how many there are from one on. */
export interface OrderedEntries {
  entriesFrom(startKey: string): Iterable<[string, KubeObject]>;
  countFrom(startKey: string): number;
}

/** The first key after `key` in list order ("\0" is the smallest character). */
const justAfter = (key: string): string => `${key}\u0000`;

/** The objects as they are now. */
export function currentView(entries: OrderedEntries): ListView {
  return {
    *from(startKey) {
      for (const [, obj] of entries.entriesFrom(startKey)) yield obj;
    },
    countAfter: (key) => entries.countFrom(justAfter(key)),
  };
}

/**
 * The objects as they were before `later` (the writes after the revision, oldest first), as etcd reads a past
 * revision: each key written since reads as its oldest write's previous version, or not at all when that write
 * created it.
 */
export function pastView(entries: OrderedEntries, later: StoreEvent[], keyOf: ListKey): ListView {
  /** Per key written since: its object at the revision, or null when it did not exist then. */
  const then = new Map<string, KubeObject | null>();
  for (let i = later.length - 1; i >= 0; i--) {
    const event = later[i];
    then.set(keyOf(event.object), event.previous ?? null);
  }
  const present = new Set<string>();
  for (const [key] of then) if (entriesHave(entries, key)) present.add(key);
  // Keys deleted since: back in the list at the revision, between the current keys.
  const restored = [...then]
    .filter((entry): entry is [string, KubeObject] => entry[1] !== null && !present.has(entry[0]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    *from(startKey) {
      let next = firstAtOrAfter(restored, startKey);
      for (const [key, obj] of entries.entriesFrom(startKey)) {
        while (next < restored.length && restored[next][0] < key) yield restored[next++][1];
        const old = then.get(key);
        if (old === undefined) yield obj;
        else if (old !== null) yield old;
      }
      while (next < restored.length) yield restored[next++][1];
    },
    countAfter(key) {
      let count = entries.countFrom(justAfter(key)) + restored.length - firstAtOrAfter(restored, justAfter(key));
      for (const written of present) if (written > key && then.get(written) === null) count--;
      return count;
    },
  };
}

function entriesHave(entries: OrderedEntries, key: string): boolean {
  for (const [first] of entries.entriesFrom(key)) return first === key;
  return false;
}

function firstAtOrAfter(sorted: [string, KubeObject][], key: string): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle][0] < key) low = middle + 1;
    else high = middle;
  }
  return low;
}
