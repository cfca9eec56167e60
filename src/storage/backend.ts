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
  /** Adds one write to the open batch; `expiresAtMs` is the object's lease (Clock time), if any. */
  write(event: StoreEvent, key: ObjectKey, expiresAtMs: number | undefined): void;
  /** Makes the open batch durable, or throws and discards it. */
  commit(): void;
  /** Discards the open batch (one of its writes failed). */
  discard(): void;
  /** Drops the history before `historyFrom` and records the compacted revision, as etcd's compaction. */
  compact(compactedRevision: number, historyFrom: number): void;
  close(): void;
}
