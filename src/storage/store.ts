/**
 * The one versioned store. Like etcd, a single counter gives every write its
 * resourceVersion; stored objects are deep-frozen and shared by readers, so a
 * write costs O(size of the object), never O(size of the store). A new version
 * shares the unchanged subtrees of the one before it, and strings are pooled.
 * A write may carry a time to live, as an etcd put with a lease: the object
 * is removed when it runs out on the Clock (a DELETED event like any delete).
 *
 * With a StorageBackend (src/storage/backend.ts) the store starts from the
 * backend's state and a write is published (watch event, history) only once
 * the batch of its event-loop turn is committed; `written(object)` is what a
 * writer awaits before it acknowledges. A failed commit undoes the batch in memory.
 * A backend other API servers write too (etcd) gives each write its revision
 * when it commits, and reports every write in revision order on its watch:
 * this store then publishes its own writes, restamped with their revision,
 * and the others' in that order, as kube-apiserver's watch cache follows etcd.
 */
import { Observable } from 'rxjs';
import type { KubeObject } from '../api/types.js';
import type { Clock } from '../runtime/clock.js';
import { CommitFailure, type ObjectKey, type RemoteWrite, type StorageBackend, type StorageFailureReason } from './backend.js';
import { ExpiryIndex } from './expiry-index.js';
import { currentView, type ListView, type OrderedEntries, pastView } from './list-view.js';
import { type Listener, Listeners } from './listeners.js';
import { StringPool } from './string-pool.js';
import { shareUnchanged } from './structural-sharing.js';
import { type HistoryPolicy, kubeHistoryPolicy, WatchHistory } from './watch-history.js';

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
  /**
   * The list order, kept until a name or namespace comes or goes (most writes change an object, not the set of keys),
   * so each page of a chunked list costs its length, not a sort of the whole resource.
   */
  private sortedNamespaces: string[] | undefined;
  private readonly sortedNames = new Map<string, string[]>();

  get(namespace: string, name: string): KubeObject | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  set(namespace: string, name: string, obj: KubeObject): void {
    let names = this.byNamespace.get(namespace);
    if (!names) {
      this.byNamespace.set(namespace, (names = new Map()));
      this.sortedNamespaces = undefined;
    }
    if (!names.has(name)) {
      this.count++;
      this.sortedNames.delete(namespace);
    }
    names.set(name, obj);
  }

  remove(namespace: string, name: string): void {
    const names = this.byNamespace.get(namespace);
    if (names?.delete(name)) {
      this.count--;
      this.sortedNames.delete(namespace);
      if (names.size === 0) {
        this.byNamespace.delete(namespace);
        this.sortedNamespaces = undefined;
      }
    }
  }

  get size(): number {
    return this.count;
  }

  /** Objects sorted by namespace then name, the order etcd keys ("<namespace>/<name>") give a list. */
  sorted(namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const ns of this.namespacesInOrder(namespace)) {
      const names = this.byNamespace.get(ns)!;
      for (const name of this.namesInOrder(ns)) out.push(names.get(name)!);
    }
    return out;
  }

  /** The objects of one namespace, or of all, with their keys in the list ("<namespace>/<name>" across namespaces). */
  entries(namespace: string | undefined): OrderedEntries {
    return {
      entriesFrom: (startKey) => this.entriesFrom(namespace, startKey),
      countFrom: (startKey) => this.countFrom(namespace, startKey),
    };
  }

  private *entriesFrom(namespace: string | undefined, startKey: string): Generator<[string, KubeObject]> {
    for (const [ns, prefix, first] of this.startsOf(namespace, startKey)) {
      const names = this.byNamespace.get(ns)!;
      const order = this.namesInOrder(ns);
      for (let i = first; i < order.length; i++) yield [`${prefix}${order[i]}`, names.get(order[i])!];
    }
  }

  private countFrom(namespace: string | undefined, startKey: string): number {
    let count = 0;
    for (const [ns, , first] of this.startsOf(namespace, startKey)) count += this.namesInOrder(ns).length - first;
    return count;
  }

  /**
   * Each namespace with a key not before `startKey`, in list order: its key prefix and the index of its first such
   * name. A namespace's keys all start with "<namespace>/", so a start key that does not start with it puts all of
   * them before or all after it.
   */
  private *startsOf(namespace: string | undefined, startKey: string): Generator<[string, string, number]> {
    for (const ns of this.namespacesInOrder(namespace)) {
      const prefix = namespace === undefined && ns !== '' ? `${ns}/` : '';
      if (startKey.startsWith(prefix)) yield [ns, prefix, firstNotBefore(this.namesInOrder(ns), startKey.slice(prefix.length))];
      else if (prefix > startKey) yield [ns, prefix, 0];
    }
  }

  private namespacesInOrder(namespace: string | undefined): string[] {
    if (namespace !== undefined) return this.byNamespace.has(namespace) ? [namespace] : [];
    this.sortedNamespaces ??= [...this.byNamespace.keys()].sort(byKeyPrefix);
    return this.sortedNamespaces;
  }

  private namesInOrder(namespace: string): string[] {
    let order = this.sortedNames.get(namespace);
    if (!order) this.sortedNames.set(namespace, (order = [...this.byNamespace.get(namespace)!.keys()].sort()));
    return order;
  }

  namespaces(): string[] {
    return [...this.byNamespace.keys()];
  }
}

/** The index of the first of `sorted` not before `key`. */
function firstNotBefore(sorted: string[], key: string): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

const emptyCollection = new Collection();

/** Namespaces in the order of their etcd key prefixes: "a-b/" sorts before "a/", as '-' < '/'. */
const byKeyPrefix = (a: string, b: string): number => {
  const [x, y] = [`${a}/`, `${b}/`];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** An object's place in a list, as the tail of its etcd key: "<namespace>/<name>", or "<name>" when cluster-scoped. */
export const objectKey = (obj: KubeObject): string =>
  obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;

/** A write not published yet, with what undoes it in memory should its commit fail. */
class PendingWrite {
  /** Settles once the write is published (with the object as stored), or rejects once it is undone. */
  readonly done: Promise<KubeObject>;
  resolve!: (stored: KubeObject) => void;
  reject!: (error: Error) => void;

  constructor(
    public event: StoreEvent,
    readonly key: ObjectKey,
    /** The stored object before the write; absent when the write created it. */
    public before: KubeObject | undefined,
  ) {
    this.done = new Promise<KubeObject>((resolve, reject) => Object.assign(this, { resolve, reject }));
    // Writers that do not wait (controllers writing directly) must not turn a failed commit into an unhandled rejection.
    this.done.catch(() => undefined);
  }
}

/** The writes of one event-loop turn, committed together. */
class Batch {
  readonly writes: PendingWrite[] = [];
  /** Undone (its own commit or an earlier one failed); a late answer from the backend changes nothing. */
  failed = false;

  constructor(readonly revisionBefore: number) {}
}

/** A write the backend did not make durable; the API answers it as kube-apiserver answers a storage error (500). */
export class StorageError extends Error {
  override name = 'StorageError';

  constructor(
    message: string,
    /** The API answers as kube-apiserver's storage errors: 500, 500 ServerTimeout (unreachable), 409 Conflict. */
    readonly reason: StorageFailureReason = 'failed',
    /** For a conflict: the storage's revision then, which this store reaches by applying the other servers' writes. */
    readonly storageRevision = 0,
  ) {
    super(message);
  }
}

/**
 * A compare-and-swap that failed: the write was computed from a version that is no longer the one stored. Versions are
 * compared by identity, not by resourceVersion: with a backend a resourceVersion may name two versions. A write not
 * committed yet carries a provisional one (the store's revision + 1); when its commit fails it is undone, and another
 * API server's write to the same object may then come from etcd's watch at that very revision, while something was
 * computed from the undone version meanwhile (SQLite's undo likewise hands the revision out again).
 */
export class OutdatedWrite extends Error {
  override name = 'OutdatedWrite';
}

export class Store {
  private revision = 0;
  private compactedUpTo = 0;
  private readonly collections = new Map<string, Collection>();
  /** Who hears every write, and who hears the writes of one resource (every watch: a write reaches only its own resource's). */
  private readonly everyWrite = new Listeners<StoreEvent>();
  private readonly writesByResource = new Map<string, Listeners<StoreEvent>>();
  private readonly changes = new Observable<StoreEvent>((subscriber) => this.everyWrite.add((event) => subscriber.next(event)));
  private readonly strings = new StringPool();
  /**
   * The object last created in each resource: a new object shares the subtrees it has equal with it (launcher pods of
   * one template, the Events of one recorder), as a new version shares those of the version before it. Objects of a
   * kind are mostly alike, so this keeps one copy of what they have in common instead of one per object.
   */
  private readonly lastCreated = new Map<string, KubeObject>();
  readonly history: WatchHistory;
  /** Leases of the objects written with a time to live; needs the Clock the store was given. */
  private readonly leases: ExpiryIndex<Lease> | undefined;
  /**
   * The deadline of each stored version written with a time to live. A lease holds while the object stored under its
   * key is a version with its deadline: a later write without one ends it, a removal forgets it, and no key string
   * is kept per lease.
   */
  private readonly deadlines = new WeakMap<KubeObject, number>();
  private batch: Batch | undefined;
  /** Batches handed to the backend and not answered yet, oldest first. */
  private readonly committing: Batch[] = [];
  /** Writes not published yet, oldest first. */
  private readonly unsettled = new Set<PendingWrite>();
  /** The pending write of each object returned by put() and remove(), for its writer to await. */
  private readonly writtenBy = new WeakMap<KubeObject, PendingWrite>();
  /** Whether the backend reports every write on its watch (etcd): writes are published from there, in its order. */
  private readonly followsStorage: boolean;
  /** The last revision published from the storage's watch. */
  private applied = 0;
  /** The storage's writes not applied yet: an own write waits at the head until its commit has answered. */
  private readonly storageWrites: RemoteWrite[] = [];
  /** This server's committed writes by revision, until the storage's watch reports them. */
  private readonly awaitingEcho = new Map<number, PendingWrite>();
  /** The storage's revision when it last refused a write as out of date, and who waits for this store to reach it. */
  private storageRevision = 0;
  private catchingUp: (() => void)[] = [];

  constructor(
    private readonly historyPolicy: HistoryPolicy = kubeHistoryPolicy,
    private readonly clock?: Clock,
    private readonly backend?: StorageBackend,
  ) {
    // Without a clock no time passes, so every resource's history may grow to its upper bound.
    this.history = new WatchHistory(historyPolicy, clock ? () => clock.nowMs() : () => 0);
    this.leases =
      clock &&
      new ExpiryIndex<Lease>(
        clock,
        (lease) => this.holds(lease),
        (lease) => this.remove(lease.storageKey, lease.namespace, lease.name),
      );
    this.followsStorage = backend?.onRemoteWrites !== undefined;
    if (backend) this.restore(backend);
  }

  private restore(backend: StorageBackend): void {
    const state = backend.load(this.historyPolicy.persisted);
    this.revision = state.revision;
    this.applied = state.revision;
    this.compactedUpTo = state.compactedRevision;
    for (const { key, object, expiresAtMs } of state.objects) {
      this.collection(key.storageKey).set(key.namespace, key.name, object);
      if (expiresAtMs !== undefined) this.lease(key, object, expiresAtMs);
    }
    // Revisions are contiguous (every write is one event), so the history resumes right after the last one it lost.
    this.history.restore(state.history, (state.history[0]?.resourceVersion ?? state.revision + 1) - 1);
    backend.onRemoteWrites?.((writes) => {
      this.storageWrites.push(...writes);
      this.applyStorageWrites();
    });
  }

  /** Whether writes go to a backend (and are acknowledged only once `durable()` resolves). */
  get persistent(): boolean {
    return this.backend !== undefined;
  }

  /**
   * Resolves once every write made so far is durable (undefined when nothing waits: no backend, or all committed);
   * rejects with a StorageError when one of them failed and was undone.
   */
  durable(): Promise<void> | undefined {
    if (this.unsettled.size === 0) return undefined;
    return Promise.all([...this.unsettled].map((write) => write.done)).then(() => undefined);
  }

  /**
   * The object as stored once the write that returned `object` (from put() or remove()) is durable and published: the
   * same object, or restamped with the revision the storage gave it. Rejects with a StorageError when it was undone.
   */
  written(object: KubeObject): Promise<KubeObject> {
    return this.writtenBy.get(object)?.done ?? Promise.resolve(object);
  }

  /** Resolves once this store holds every write the storage had when it last refused one of this store's as out of date. */
  caughtUp(): Promise<void> {
    if (this.latest >= this.storageRevision) return Promise.resolve();
    return new Promise((resolve) => this.catchingUp.push(resolve));
  }

  /** Every committed write, in resourceVersion order. */
  get events(): Observable<StoreEvent> {
    return this.changes;
  }

  /**
   * Calls `listener` with every committed write of one resource, in resourceVersion order, after the listeners of
   * every write (`events`); returns what stops it. A listener added during a write's delivery first hears the next one.
   */
  onWrite(storageKey: string, listener: Listener<StoreEvent>): () => void {
    let listeners = this.writesByResource.get(storageKey);
    if (!listeners) this.writesByResource.set(storageKey, (listeners = new Listeners()));
    const remove = listeners.add(listener);
    return () => {
      remove();
      if (listeners.size === 0 && this.writesByResource.get(storageKey) === listeners) this.writesByResource.delete(storageKey);
    };
  }

  get resourceVersion(): number {
    return this.latest;
  }

  /** The newest revision reads are at: the storage's, as far as its watch has come, when it has one. */
  private get latest(): number {
    return this.followsStorage ? this.applied : this.revision;
  }

  get(storageKey: string, namespace: string, name: string): KubeObject | undefined {
    return this.collections.get(storageKey)?.get(namespace, name);
  }

  list(storageKey: string, namespace?: string): KubeObject[] {
    return this.collections.get(storageKey)?.sorted(namespace) ?? [];
  }

  /**
   * A list read at `revision`, as etcd reads a past revision: the current objects with every later write of the
   * resource undone. Undefined when that revision is compacted or older than the history holds.
   */
  listAt(storageKey: string, namespace: string | undefined, revision: number): ListView | undefined {
    const entries = (this.collections.get(storageKey) ?? emptyCollection).entries(namespace);
    if (revision >= this.latest) return currentView(entries);
    if (revision < this.compactedUpTo || !this.history.covers(storageKey, revision)) return undefined;
    const inScope = (e: StoreEvent) => namespace === undefined || e.object.metadata.namespace === namespace;
    const later = this.history.since(storageKey, revision).filter(inScope);
    if (later.length === 0) return currentView(entries);
    return pastView(entries, later, namespace === undefined ? objectKey : (obj) => obj.metadata.name!);
  }

  /** The oldest revision a read at a past revision may ask for; older ones are compacted, as in etcd. */
  get compactedRevision(): number {
    return this.compactedUpTo;
  }

  /** Forgets the revisions before `revision` for reads at a past revision, as etcd's compaction does. */
  compact(revision: number): void {
    this.compactedUpTo = Math.max(this.compactedUpTo, Math.min(revision, this.latest));
    // The durable history keeps the newest events for a restart; what the rings hold in memory is kept apart from it.
    this.backend?.compact(this.compactedUpTo, Math.max(0, this.latest - this.historyPolicy.persisted));
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
   * this write (a later write sets a new time to live, or none). With `basis`
   * (the stored version the write was computed from) the write is a
   * compare-and-swap: it throws OutdatedWrite unless that version is still the one stored.
   */
  put(storageKey: string, obj: KubeObject, options: { ttlMs?: number; basis?: KubeObject } = {}): KubeObject {
    const { namespace = '', name = '' } = obj.metadata;
    if (options.ttlMs !== undefined && !this.leases) throw new Error('a write with a time to live needs a store with a clock');
    const collection = this.collection(storageKey);
    const previous = collection.get(namespace, name);
    if (options.basis && previous !== options.basis) throw new OutdatedWrite();
    const resourceVersion = this.revision + 1;
    // Stamped before sharing: the walk freezes the new root and metadata, which no later copy replaces.
    const stored = shareUnchanged(atResourceVersion(obj, resourceVersion), previous ?? this.lastCreated.get(storageKey), this.strings);
    if (!previous) this.lastCreated.set(storageKey, stored);
    const event: StoreEvent = { type: previous ? 'MODIFIED' : 'ADDED', storageKey, object: stored, previous, resourceVersion };
    const expiresAtMs = options.ttlMs === undefined ? undefined : this.clock!.nowMs() + options.ttlMs;
    const key = { storageKey, namespace, name };
    this.write(event, key, previous, expiresAtMs, options.ttlMs);
    collection.set(namespace, name, stored);
    if (expiresAtMs !== undefined) this.lease(key, stored, expiresAtMs);
    this.publishOrQueue(event);
    return stored;
  }

  /**
   * Removes the object; the DELETED event carries it with a fresh resourceVersion, as etcd's delete revision. With
   * `basis`, a compare-and-swap as put()'s.
   */
  remove(storageKey: string, namespace: string, name: string, basis?: KubeObject): KubeObject | undefined {
    const collection = this.collections.get(storageKey);
    const previous = collection?.get(namespace, name);
    if (basis && previous !== basis) throw new OutdatedWrite();
    if (!collection || !previous) return undefined;
    const resourceVersion = this.revision + 1;
    const object = stamp(previous, resourceVersion);
    const event: StoreEvent = { type: 'DELETED', storageKey, object, previous, resourceVersion };
    this.write(event, { storageKey, namespace, name }, previous);
    collection.remove(namespace, name);
    this.publishOrQueue(event);
    return object;
  }

  /**
   * Ends the expiry of leases (the server is stopping; objects written with a time to live stay), commits the
   * open batch and closes the backend.
   */
  close(): void {
    this.leases?.stop();
    this.commitBatch();
    this.backend?.close();
  }

  /** Hands the write to the backend's open batch (opening one for this turn) and takes its revision. */
  private write(event: StoreEvent, key: ObjectKey, before: KubeObject | undefined, expiresAtMs?: number, ttlMs?: number): void {
    if (this.backend) {
      if (!this.batch) {
        this.batch = new Batch(this.revision);
        setImmediate(() => this.commitBatch());
      }
      try {
        this.backend.write(event, key, expiresAtMs, ttlMs);
      } catch (error) {
        this.backend.discard();
        const failure = new StorageError((error as Error).message);
        this.undo(this.batch, 0, failure);
        throw failure;
      }
      const pending = new PendingWrite(event, key, before);
      this.batch.writes.push(pending);
      this.unsettled.add(pending);
      this.writtenBy.set(event.object, pending);
      // A commit (etcd's round trip and watch echo) is off-loop work: a virtual clock must not run past it, or
      // controllers would see their writes come back minutes of virtual time late (their leases long expired).
      this.clock?.hold(pending.done);
    }
    this.revision = event.resourceVersion;
  }

  private publishOrQueue(event: StoreEvent): void {
    if (!this.batch) this.publish(event);
  }

  /** Commits the open batch: its events are published and its writers answered, or it is undone and they get the error. */
  private commitBatch(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    this.committing.push(batch);
    let outcome: void | Promise<number[]>;
    try {
      outcome = this.backend!.commit();
    } catch (error) {
      this.undo(batch, durableWrites(error), storageError(error), durableRevisions(error));
      return;
    }
    // SQLite answers at once, so its writes are published in this turn, as before etcd needed a promise here.
    if (!outcome) this.committed(batch);
    else
      outcome.then(
        (revisions) => this.committed(batch, revisions),
        (error: unknown) => this.undo(batch, durableWrites(error), storageError(error), durableRevisions(error)),
      );
  }

  private committed(batch: Batch, revisions?: number[]): void {
    if (batch.failed) return;
    this.committing.splice(this.committing.indexOf(batch), 1);
    this.settle(batch.writes, revisions);
    this.applyStorageWrites();
  }

  /**
   * Durable writes, each at the revision the storage gave it (when it gave one): published now, or, with a storage
   * that reports every write on its watch, once the watch reaches them, so that events keep the storage's order.
   */
  private settle(writes: PendingWrite[], revisions: number[] | undefined): void {
    writes.forEach((write, i) => {
      const revision = revisions?.[i];
      if (revision !== undefined && revision !== write.event.resourceVersion) this.restamp(write, revision);
      if (this.followsStorage) this.awaitingEcho.set(write.event.resourceVersion, write);
      else this.publishWrite(write);
    });
  }

  private publishWrite(write: PendingWrite): void {
    this.unsettled.delete(write);
    this.publish(write.event);
    write.resolve(write.event.object);
  }

  /** Gives a write the revision the storage gave it, wherever this store holds its object. */
  private restamp(write: PendingWrite, revision: number): void {
    const guessed = write.event.object;
    const object = stamp(guessed, revision);
    const deadline = this.deadlines.get(guessed);
    if (deadline !== undefined) this.deadlines.set(object, deadline);
    write.event = { ...write.event, object, resourceVersion: revision };
    const { storageKey, namespace, name } = write.key;
    const collection = this.collection(storageKey);
    if (collection.get(namespace, name) === guessed) collection.set(namespace, name, object);
    for (const later of this.unsettled) {
      if (later.before !== guessed) continue;
      later.before = object;
      later.event = { ...later.event, previous: object };
    }
  }

  /**
   * Undoes `batch` from its write number `keep` on, and every write made after it (later batches were made on top of it),
   * newest first; the writes before `keep` are durable (at `revisions`, when the storage gave them). Their writers all get the error.
   */
  private undo(batch: Batch, keep: number, error: StorageError, revisions: number[] = []): void {
    if (batch.failed) return;
    const index = this.committing.indexOf(batch);
    const later = index < 0 ? [] : this.committing.splice(index).slice(1);
    if (this.batch && this.batch !== batch) {
      // The open batch is undone before its commit: the backend must not send its writes with the next batch's.
      later.push(this.batch);
      this.backend?.discard();
    }
    this.batch = undefined;
    // Only the write the storage refused for a conflict had its own key moved on; those after it are undone because
    // they may have been computed from it, and are told so, so that a writer does not count them as its own conflicts.
    const refused = batch.writes[keep];
    const cascaded = error.reason === 'conflict' ? new StorageError(error.message, 'aborted', error.storageRevision) : error;
    for (const undone of [...later.reverse(), batch]) {
      const writes = undone === batch ? batch.writes.slice(keep) : undone.writes;
      // The version put back is under its own lease again (its deadline may have been dropped as superseded).
      for (const write of writes.reverse()) {
        const { storageKey, namespace, name } = write.key;
        const collection = this.collection(storageKey);
        if (write.before) collection.set(namespace, name, write.before);
        else collection.remove(namespace, name);
        const deadline = write.before && this.deadlines.get(write.before);
        if (deadline !== undefined) this.lease(write.key, write.before!, deadline);
        this.unsettled.delete(write);
        write.reject(write === refused ? error : cascaded);
      }
      undone.failed = true;
    }
    this.storageRevision = Math.max(this.storageRevision, error.storageRevision);
    const durable = batch.writes.slice(0, keep);
    this.settle(durable, revisions);
    // Revisions are the store's own without a storage watch: the next write takes the one after the last durable write.
    if (!this.followsStorage) this.revision = durable.at(-1)?.event.resourceVersion ?? batch.revisionBefore;
    this.applyStorageWrites();
  }

  /**
   * Applies the storage's writes in its order: this server's own once their commit has answered (they are already
   * held), the other API servers' at once; a write seen before (the watch resumed) changes nothing.
   */
  private applyStorageWrites(): void {
    while (this.storageWrites.length > 0) {
      const write = this.storageWrites[0];
      if (write.own) {
        const mine = this.awaitingEcho.get(write.revision);
        if (!mine) break;
        this.awaitingEcho.delete(write.revision);
        this.publishWrite(mine);
      } else if (write.revision > this.applied) this.applyRemote(write);
      this.storageWrites.shift();
      this.applied = Math.max(this.applied, write.revision);
      this.revision = Math.max(this.revision, this.applied);
    }
    if (this.latest >= this.storageRevision && this.catchingUp.length > 0) {
      const waiting = this.catchingUp;
      this.catchingUp = [];
      for (const resolve of waiting) resolve();
    }
  }

  /**
   * Another API server's write. A write of this one to the same object that is not published yet was computed from an
   * older version, so the storage refuses it: the object stays as this server wrote it until then, and is undone to the
   * other server's version.
   */
  private applyRemote({ key, object, revision }: RemoteWrite): void {
    const collection = this.collection(key.storageKey);
    const refused = this.firstUnsettledOn(key);
    const previous = refused ? refused.before : collection.get(key.namespace, key.name);
    const stored = object && shareUnchanged(atResourceVersion(object, revision), previous, this.strings);
    if (refused) refused.before = stored;
    else if (stored) collection.set(key.namespace, key.name, stored);
    else collection.remove(key.namespace, key.name);
    const { storageKey } = key;
    if (stored) this.publish({ type: previous ? 'MODIFIED' : 'ADDED', storageKey, object: stored, previous, resourceVersion: revision });
    else if (previous)
      this.publish({ type: 'DELETED', storageKey, object: stamp(previous, revision), previous, resourceVersion: revision });
  }

  private firstUnsettledOn(key: ObjectKey): PendingWrite | undefined {
    for (const write of this.unsettled) {
      if (write.key.name === key.name && write.key.namespace === key.namespace && write.key.storageKey === key.storageKey) return write;
    }
    return undefined;
  }

  /** The object (as stored under `key`) expires at `atMs`. */
  private lease(key: ObjectKey, stored: KubeObject, atMs: number): void {
    this.deadlines.set(stored, atMs);
    // A literal, not a spread of the key: V8 gave each spread copy a hidden class of its own (about 200 bytes a lease).
    this.leases?.add({ storageKey: key.storageKey, namespace: key.namespace, name: key.name, atMs });
  }

  /** Whether the object under the lease's key is still a version written with that deadline. */
  private holds(lease: Lease): boolean {
    const current = this.collections.get(lease.storageKey)?.get(lease.namespace, lease.name);
    return current !== undefined && this.deadlines.get(current) === lease.atMs;
  }

  private collection(storageKey: string): Collection {
    let collection = this.collections.get(storageKey);
    if (!collection) this.collections.set(storageKey, (collection = new Collection()));
    return collection;
  }

  private publish(event: StoreEvent): void {
    this.history.append(event);
    this.everyWrite.emit(event);
    this.writesByResource.get(event.storageKey)?.emit(event);
  }
}

const durableWrites = (error: unknown): number => (error instanceof CommitFailure ? error.durableWrites : 0);

const durableRevisions = (error: unknown): number[] => (error instanceof CommitFailure ? error.durableRevisions : []);

const storageError = (error: unknown): StorageError =>
  error instanceof CommitFailure
    ? new StorageError(error.message, error.reason, error.storageRevision)
    : new StorageError((error as Error).message);

/** An object's time to live: it expires at `atMs` unless written or removed before. */
interface Lease extends ObjectKey {
  atMs: number;
}

/** `obj` at `resourceVersion`: a new root and metadata over the same children. */
const atResourceVersion = (obj: KubeObject, resourceVersion: number): KubeObject => ({
  ...obj,
  metadata: { ...obj.metadata, resourceVersion: String(resourceVersion) },
});

/** A stored (deep-frozen) object at another resourceVersion. */
function stamp(obj: KubeObject, resourceVersion: number): KubeObject {
  const stamped = atResourceVersion(obj, resourceVersion);
  Object.freeze(stamped.metadata);
  return Object.freeze(stamped);
}
