/**
 * The etcd backend: objects under kube-apiserver's key layout (etcd-keys.ts), as JSON (kube-apiserver writes its
 * built-in kinds as protobuf; JSON is what it writes for custom resources), resourceVersion = etcd's revision.
 *
 * The Store stamps a write's resourceVersion before the write reaches etcd, so each write is one transaction that
 * succeeds only if etcd's revision is still the one before it: the transaction also rewrites a sentinel key outside
 * the object prefix, whose mod revision is therefore always etcd's revision. When another API server wrote first,
 * the transaction fails, the Store undoes the write (its writer gets 409 Conflict) and applies the other server's
 * writes, which this backend reads from etcd's watch, as kube-apiserver's watch cache follows etcd.
 */
import { Etcd3, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3';
import type { KubeObject } from '../api/types.js';
import { CommitFailure, type ObjectKey, type RemoteWrite, type StorageBackend, type StoredState } from './backend.js';
import type { EtcdKeyLayout } from './etcd-keys.js';
import type { StoreEvent } from './store.js';

/** How long one etcd request may take before the write answers ServerTimeout (kube-apiserver's etcd dial/request scale). */
const REQUEST_TIMEOUT_MS = 5_000;

interface PendingPut {
  key: string;
  /** JSON of the object; absent for a delete. */
  value?: string;
  revision: number;
}

export class EtcdBackend implements StorageBackend {
  private open: PendingPut[] = [];
  /** The commits in order: each waits for the one before. */
  private queue: Promise<void> = Promise.resolve();
  /** Bumped by a failed commit: the commits asked for before it (made on top of the failed writes) fail too. */
  private generation = 0;
  private watcher: Watcher | undefined;
  private applyRemote: ((writes: RemoteWrite[]) => void) | undefined;

  private constructor(
    private readonly client: Etcd3,
    private readonly layout: EtcdKeyLayout,
    private readonly sentinel: string,
    private readonly state: StoredState,
  ) {}

  /** Connects, reads every object under the prefix at one revision and starts following etcd's watch from there. */
  static async connect(servers: string[], layout: EtcdKeyLayout): Promise<EtcdBackend> {
    const client = new Etcd3({
      hosts: servers,
      dialTimeout: REQUEST_TIMEOUT_MS,
      // grpc-js refuses answers over 4 MiB by default, and the start-up read of a cluster with KubeVirt installed is
      // larger; etcd's Go client (client/v3 defaultMaxCallRecvMsgSize), and so kube-apiserver, accepts up to MaxInt32.
      grpcOptions: { 'grpc.max_receive_message_length': 2 ** 31 - 1 },
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + REQUEST_TIMEOUT_MS }),
    });
    try {
      const sentinel = `${layout.root.slice(0, -1)}-kubevirt-emulator/revision`;
      const state = await loadAligned(client, layout, sentinel);
      const backend = new EtcdBackend(client, layout, sentinel, state);
      await backend.follow(state.revision);
      return backend;
    } catch (error) {
      client.close();
      throw new Error(`cannot use etcd at ${servers.join(',')}: ${(error as Error).message}`);
    }
  }

  load(): StoredState {
    return this.state;
  }

  onRemoteWrites(apply: (writes: RemoteWrite[]) => void): void {
    this.applyRemote = apply;
  }

  write(event: StoreEvent, key: ObjectKey): void {
    const value = event.type === 'DELETED' ? undefined : JSON.stringify(withoutResourceVersion(event.object));
    this.open.push({ key: this.layout.keyOf(key), value, revision: event.resourceVersion });
  }

  commit(): Promise<void> {
    const puts = this.open;
    this.open = [];
    const generation = this.generation;
    const run = this.queue.then(async () => {
      if (generation !== this.generation) throw new CommitFailure('an earlier write to etcd failed', 0, 'conflict');
      for (let i = 0; i < puts.length; i++) {
        try {
          await this.transact(puts[i]);
        } catch (error) {
          this.generation++;
          if (error instanceof CommitFailure) throw new CommitFailure(error.message, i, error.reason, error.storageRevision);
          throw new CommitFailure(`etcd: ${(error as Error).message}`, i, 'unreachable');
        }
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  discard(): void {
    this.open = [];
  }

  compact(compactedRevision: number): void {
    // Another API server may have compacted further already: etcd then answers an error that changes nothing.
    if (compactedRevision > 0) this.client.kv.compact({ revision: String(compactedRevision) }).catch(() => undefined);
  }

  close(): void {
    void this.queue.then(async () => {
      await this.watcher?.cancel().catch(() => undefined);
      this.client.close();
    });
  }

  /** One write, at the revision right after the one etcd is at (the sentinel's). */
  private async transact(put: PendingPut): Promise<void> {
    const txn = this.client.if(this.sentinel, 'Mod', '==', put.revision - 1);
    const object = put.value === undefined ? this.client.delete().key(put.key) : this.client.put(put.key).value(put.value);
    const response = await txn.then(object, this.client.put(this.sentinel).value(String(put.revision))).commit();
    if (!response.succeeded) {
      throw new CommitFailure('etcd moved on: another API server wrote first', 0, 'conflict', Number(response.header.revision));
    }
  }

  private async follow(revision: number): Promise<void> {
    this.watcher = await this.client
      .watch()
      .prefix(this.layout.root)
      .startRevision(String(revision + 1))
      .create();
    this.watcher.on('data', (response: IWatchResponse) => this.receive(response));
    // The client resumes a broken watch from the last revision it saw; nothing to do but not crash on its errors.
    this.watcher.on('error', () => undefined);
  }

  private receive(response: IWatchResponse): void {
    const writes: RemoteWrite[] = [];
    for (const event of response.events) {
      const key = this.layout.objectKeyOf(event.kv.key.toString());
      if (!key) continue;
      const revision = Number(event.kv.mod_revision);
      writes.push(event.type === 'Put' ? { key, object: decode(event.kv), revision } : { key, revision });
    }
    if (writes.length > 0) this.applyRemote?.(writes);
  }
}

/**
 * Reads the sentinel and every object in one transaction (one revision). When something else wrote to etcd since the
 * sentinel's last write, the sentinel is rewritten first, so that its mod revision is etcd's revision again.
 */
async function loadAligned(client: Etcd3, layout: EtcdKeyLayout, sentinel: string): Promise<StoredState> {
  for (;;) {
    const read = await client.if(sentinel, 'Mod', '>', -1).then(client.get(sentinel), client.getAll().prefix(layout.root)).commit();
    const revision = Number(read.header.revision);
    const sentinelKv = read.responses[0].response_range.kvs[0] as IKeyValue | undefined;
    const sentinelRevision = sentinelKv ? Number(sentinelKv.mod_revision) : 0;
    if (sentinelRevision === revision) {
      const objects: StoredState['objects'] = [];
      for (const kv of read.responses[1].response_range.kvs) {
        const key = layout.objectKeyOf(kv.key.toString());
        if (key) objects.push({ key, object: decode(kv) });
      }
      return { revision, compactedRevision: 0, objects, history: [] };
    }
    await client
      .if(sentinel, 'Mod', '==', sentinelRevision)
      .then(client.put(sentinel).value(String(revision + 1)))
      .commit();
  }
}

function decode(kv: IKeyValue): KubeObject {
  const object = JSON.parse(kv.value.toString()) as KubeObject;
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(Number(kv.mod_revision)) } };
}

/** kube-apiserver stores objects without their resourceVersion: it is the key's mod revision. */
function withoutResourceVersion(object: KubeObject): KubeObject {
  const { resourceVersion: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}
