/**
 * The one versioned store. Like etcd, a single counter gives every write its
 * resourceVersion; stored objects are deep-frozen and shared by readers, so a
 * write costs O(size of the object), never O(size of the store). A new version
 * shares the unchanged subtrees of the one before it, and strings are pooled.
 * A write may carry a time to live, as an etcd put with a lease: the object
 * is removed when it runs out on the Clock (a DELETED event like any delete).
 */
import { freeze } from 'immer';
import { Subject, type Observable } from 'rxjs';
import type { KubeObject } from '../api/types.js';
import type { Clock } from '../runtime/clock.js';
import { ExpiryIndex } from './expiry-index.js';
import { StringPool } from './string-pool.js';
import { shareUnchanged } from './structural-sharing.js';
import { WatchHistory } from './watch-history.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: StoreEventType;
  storageKey: string;
  /** The object after the write; for DELETED, the last state with the deletion's resourceVersion. */
  object: KubeObject;
  /** The object before the write (absent for ADDED). */
  previous?: KubeObject;
  resourceVersion: number;
}

/** Objects of one resource, indexed by namespace then name ("" for cluster-scoped). */
class Collection {
  private readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  private count = 0;

  get(namespace: string, name: string): KubeObject | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  set(namespace: string, name: string, obj: KubeObject): void {
    let names = this.byNamespace.get(namespace);
    if (!names) this.byNamespace.set(namespace, (names = new Map()));
    if (!names.has(name)) this.count++;
    names.set(name, obj);
  }

  remove(namespace: string, name: string): void {
    const names = this.byNamespace.get(namespace);
    if (names?.delete(name)) {
      this.count--;
      if (names.size === 0) this.byNamespace.delete(namespace);
    }
  }

  get size(): number {
    return this.count;
  }

  /** Objects sorted by namespace then name, the order etcd keys ("<namespace>/<name>") give a list. */
  sorted(namespace?: string): KubeObject[] {
    const namespaces = namespace === undefined ? [...this.byNamespace.keys()].sort(byKeyPrefix) : [namespace];
    const out: KubeObject[] = [];
    for (const ns of namespaces) {
      const names = this.byNamespace.get(ns);
      if (!names) continue;
      for (const name of [...names.keys()].sort()) out.push(names.get(name)!);
    }
    return out;
  }

  namespaces(): string[] {
    return [...this.byNamespace.keys()];
  }
}

/** Namespaces in the order of their etcd key prefixes: "a-b/" sorts before "a/", as '-' < '/'. */
const byKeyPrefix = (a: string, b: string): number => {
  const [x, y] = [`${a}/`, `${b}/`];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** An object's place in a list, as the tail of its etcd key: "<namespace>/<name>", or "<name>" when cluster-scoped. */
export const objectKey = (obj: KubeObject): string =>
  obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;

export class Store {
  private revision = 0;
  private compactedUpTo = 0;
  private readonly collections = new Map<string, Collection>();
  private readonly changes = new Subject<StoreEvent>();
  private readonly strings = new StringPool();
  readonly history: WatchHistory;
  /** Leases of the objects written with a time to live; needs the Clock the store was given. */
  private readonly leases: ExpiryIndex | undefined;

  constructor(historyCapacity = 10_000, clock?: Clock) {
    this.history = new WatchHistory(historyCapacity);
    this.leases = clock && new ExpiryIndex(clock, (key) => this.expire(key));
  }

  /** Every committed write, in resourceVersion order. */
  get events(): Observable<StoreEvent> {
    return this.changes;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  get(storageKey: string, namespace: string, name: string): KubeObject | undefined {
    return this.collections.get(storageKey)?.get(namespace, name);
  }

  list(storageKey: string, namespace?: string): KubeObject[] {
    return this.collections.get(storageKey)?.sorted(namespace) ?? [];
  }

  /**
   * The objects as they were at `revision`, as etcd reads a past revision:
   * the current ones with every later write of the resource undone. Undefined
   * when that revision is compacted or older than the history holds.
   */
  listAt(storageKey: string, namespace: string | undefined, revision: number): KubeObject[] | undefined {
    if (revision >= this.revision) return this.list(storageKey, namespace);
    if (revision < this.compactedUpTo || !this.history.covers(revision)) return undefined;
    const inScope = (e: StoreEvent) =>
      e.storageKey === storageKey && (namespace === undefined || e.object.metadata.namespace === namespace);
    const later = this.history.since(revision).filter(inScope);
    if (later.length === 0) return this.list(storageKey, namespace);
    const byKey = new Map(this.list(storageKey, namespace).map((obj) => [objectKey(obj), obj]));
    for (const event of later.reverse()) {
      if (event.previous) byKey.set(objectKey(event.previous), event.previous);
      else byKey.delete(objectKey(event.object));
    }
    return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, obj]) => obj);
  }

  /** The oldest revision a read at a past revision may ask for; older ones are compacted, as in etcd. */
  get compactedRevision(): number {
    return this.compactedUpTo;
  }

  /** Forgets the revisions before `revision` for reads at a past revision, as etcd's compaction does. */
  compact(revision: number): void {
    this.compactedUpTo = Math.max(this.compactedUpTo, Math.min(revision, this.revision));
  }

  count(storageKey: string): number {
    return this.collections.get(storageKey)?.size ?? 0;
  }

  /** Namespaces that hold at least one object of the resource. */
  namespacesOf(storageKey: string): string[] {
    return this.collections.get(storageKey)?.namespaces() ?? [];
  }

  /**
   * Writes `obj` (created when absent, replaced otherwise), stamping the next
   * resourceVersion. The caller has already checked preconditions; the store
   * only orders and publishes. With `ttlMs` the object expires that long after
   * this write (a later write sets a new time to live, or none).
   */
  put(storageKey: string, obj: KubeObject, options: { ttlMs?: number } = {}): KubeObject {
    const { namespace = '', name = '' } = obj.metadata;
    if (options.ttlMs !== undefined && !this.leases) throw new Error('a write with a time to live needs a store with a clock');
    const collection = this.collection(storageKey);
    const previous = collection.get(namespace, name);
    const resourceVersion = ++this.revision;
    const stored = stamp(shareUnchanged(obj, previous, this.strings), resourceVersion);
    collection.set(namespace, name, stored);
    const lease = leaseKey(storageKey, namespace, name);
    if (options.ttlMs !== undefined) this.leases!.set(lease, options.ttlMs);
    else this.leases?.delete(lease);
    this.publish({ type: previous ? 'MODIFIED' : 'ADDED', storageKey, object: stored, previous, resourceVersion });
    return stored;
  }

  /** Removes the object; the DELETED event carries it with a fresh resourceVersion, as etcd's delete revision. */
  remove(storageKey: string, namespace: string, name: string): KubeObject | undefined {
    const collection = this.collections.get(storageKey);
    const previous = collection?.get(namespace, name);
    if (!collection || !previous) return undefined;
    const resourceVersion = ++this.revision;
    const object = stamp(previous, resourceVersion);
    collection.remove(namespace, name);
    this.leases?.delete(leaseKey(storageKey, namespace, name));
    this.publish({ type: 'DELETED', storageKey, object, previous, resourceVersion });
    return object;
  }

  /** Ends the expiry of leases (the server is stopping); objects written with a time to live stay. */
  close(): void {
    this.leases?.stop();
  }

  private expire(lease: string): void {
    const [storageKey, namespace, name] = JSON.parse(lease) as [string, string, string];
    this.remove(storageKey, namespace, name);
  }

  private collection(storageKey: string): Collection {
    let collection = this.collections.get(storageKey);
    if (!collection) this.collections.set(storageKey, (collection = new Collection()));
    return collection;
  }

  private publish(event: StoreEvent): void {
    this.history.append(event);
    this.changes.next(event);
  }
}

const leaseKey = (storageKey: string, namespace: string, name: string): string => JSON.stringify([storageKey, namespace, name]);

function stamp(obj: KubeObject, resourceVersion: number): KubeObject {
  const stamped: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(resourceVersion) } };
  return freeze(stamped, true);
}
