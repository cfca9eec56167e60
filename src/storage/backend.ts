/**
 * What lies under the Store, as etcd lies under kube-apiserver's watch cache:
 * the Store keeps indexes, frozen objects and watch history in memory; a
 * backend makes its writes durable. The Store hands it the writes of one
 * event-loop turn and commits them as one transaction before any of their
 * responses is sent (group commit); a commit that fails undoes the whole batch
 * in memory too, so no reader keeps an object the backend never stored.
 *
 * Without a backend (the programmatic API, scenarios, tests) the Store is
 * memory only and publishes each write at once, as it always did.
 */
import type { KubeObject } from '../api/types.js';
import type { StoreEvent } from './store.js';

/** Where an object lives, as the tail of its etcd key. */
export interface ObjectKey {
  storageKey: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** The state a backend holds, read once when the Store starts. */
export interface StoredState {
  /** The last resourceVersion handed out: the next write gets a larger one, so versions grow across restarts. */
  revision: number;
  /** Revisions up to this one are compacted (reads at them answer 410). */
  compactedRevision: number;
  objects: { key: ObjectKey; object: KubeObject; expiresAtMs?: number }[];
  /** The newest events, oldest first, so watches from before a restart resume where they can. */
  history: StoreEvent[];
}

export interface StorageBackend {
  /** Reads the whole stored state; throws with a message fit for the user when the storage is not this emulator's. */
  load(historyCapacity: number): StoredState;
  /**
   * Adds one write to the open batch; `expiresAtMs` is the object's lease (Clock time), if any, `ttlMs` its time to live
   * (a remote store counts it on its own time, as etcd's leases do).
   */
  write(event: StoreEvent, key: ObjectKey, expiresAtMs: number | undefined, ttlMs?: number): void;
  /**
   * Makes the open batch durable, or throws (a CommitFailure when some of its writes became durable) and discards it.
   * A remote store (etcd) answers with a promise of the revision each write got, which is not the one the Store
   * stamped when another API server wrote in between; commits settle in the order they were asked for, and once one
   * fails every commit asked for before the Store heard of it fails too, since those writes were made on top of it.
   */
  commit(): void | Promise<number[]>;
  /** Discards the open batch (one of its writes failed). */
  discard(): void;
  /** Drops the history before `historyFrom` and records the compacted revision, as etcd's compaction. */
  compact(compactedRevision: number, historyFrom: number): void;
  close(): void;
  /**
   * Every write to the storage in revision order, as its watch reports it: other API servers' writes, and this one's
   * own (marked `own`), after the commit that made them has answered. A backend only this process writes has none.
   */
  onRemoteWrites?(apply: (writes: RemoteWrite[]) => void): void;
}

/** A write to the storage as its watch reports it. */
export interface RemoteWrite {
  key: ObjectKey;
  /** The object written; absent for a delete. */
  object?: KubeObject;
  revision: number;
  /** Made by this API server: the Store already holds it, and publishes it now, in revision order. */
  own?: boolean;
}

/**
 * Why a write failed: the storage refused it (a full disk), was out of reach, or had moved on (conflict); or the write
 * was undone unsent because an earlier write of this server had moved on, which it may have been computed from (aborted).
 */
export type StorageFailureReason = 'failed' | 'unreachable' | 'conflict' | 'aborted';

/** A commit that failed; the first `durableWrites` writes of the batch are stored nevertheless. */
export class CommitFailure extends Error {
  override name = 'CommitFailure';

  constructor(
    message: string,
    readonly durableWrites: number,
    /** conflict: another API server wrote an object first, so a write was made on an out-of-date version of it. */
    readonly reason: StorageFailureReason,
    /** The revision the storage was at when it refused a conflicting write: the Store catches up to it. */
    readonly storageRevision = 0,
    /** The revisions the first `durableWrites` writes got (empty for a backend whose revisions are the Store's). */
    readonly durableRevisions: number[] = [],
  ) {
    super(message);
  }
}
