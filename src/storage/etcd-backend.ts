/**
 * The etcd backend: objects under kube-apiserver's key layout (etcd-keys.ts), as JSON (kube-apiserver writes its
 * built-in kinds as protobuf; JSON is what it writes for custom resources), resourceVersion = etcd's revision.
 *
 * Each write is one transaction that compares the object's own key, as kube-apiserver's etcd3 store does: a create
 * succeeds only while the key is absent (create revision 0), an update or delete only while the key's mod revision is
 * the resourceVersion the write was computed from. Writes to other objects, by this API server or another, never make
 * it fail. The revision etcd answers is the write's resourceVersion (the Store restamps its object when it differs
 * from the one it guessed). When the key moved on, the Store undoes the write (the registry computes it again on the
 * newer object, or answers 409) and catches up from etcd's watch, which this backend follows as kube-apiserver's watch
 * cache follows etcd; the watch also reports this server's own writes, which the Store publishes in revision order.
 */
import { Etcd3, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3';
import type { KubeObject } from '../api/types.js';
import { CommitFailure, type ObjectKey, type RemoteWrite, type StorageBackend, type StoredState } from './backend.js';
import type { EtcdKeyLayout } from './etcd-keys.js';
import { EtcdLeases } from './etcd-leases.js';
import type { StoreEvent } from './store.js';

/** How long one etcd request may take before the write answers ServerTimeout (kube-apiserver's etcd dial/request scale). */
const REQUEST_TIMEOUT_MS = 5_000;

interface PendingPut {
  key: string;
  /** JSON of the object; absent for a delete. */
  value?: string;
  /** The resourceVersion the Store stamped. */
  provisional: number;
  /** What the key must hold for the write to apply: 0 (absent), a mod revision, or an earlier write of this server not answered yet. */
  basis: number | PendingPut;
  /** The revision etcd gave the write, once it answered. */
  revision?: number;
  /** The object's time to live, as an etcd lease (Events). */
  ttlSeconds?: number;
}

export class EtcdBackend implements StorageBackend {
  private open: PendingPut[] = [];
  /** The commits in order: each waits for the one before. */
  private queue: Promise<void> = Promise.resolve();
  /** Bumped by a failed commit: the commits asked for before it (made on top of the failed writes) fail too. */
  private generation = 0;
  /** Per etcd key, this server's newest write whose echo has not come back from the watch: a later write builds on it. */
  private readonly unechoed = new Map<string, PendingPut>();
  /** This server's writes etcd acknowledged, by revision, until the watch reports them. */
  private readonly acknowledged = new Map<number, PendingPut>();
  /** The transaction etcd has not answered yet: an event the watch reports meanwhile may be its own write. */
  private inFlight: Promise<unknown> = Promise.resolve();
  /** Watch responses are handed on in order, each once the transaction in flight when it came has answered. */
  private deliveries: Promise<void> = Promise.resolve();
  private readonly leases: EtcdLeases;
  private watcher: Watcher | undefined;
  private applyRemote: ((writes: RemoteWrite[]) => void) | undefined;

  private constructor(
    private readonly client: Etcd3,
    private readonly layout: EtcdKeyLayout,
    private readonly state: StoredState,
  ) {
    this.leases = new EtcdLeases(client);
  }

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
      const state = await load(client, layout);
      const backend = new EtcdBackend(client, layout, state);
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

  write(event: StoreEvent, key: ObjectKey, _expiresAtMs: number | undefined, ttlMs?: number): void {
    const etcdKey = this.layout.keyOf(key);
    const value = event.type === 'DELETED' ? undefined : JSON.stringify(withoutResourceVersion(event.object));
    const expected = event.previous ? Number(event.previous.metadata.resourceVersion) : 0;
    const earlier = this.unechoed.get(etcdKey);
    const basis = earlier && earlier.provisional === expected ? earlier : expected;
    const ttlSeconds = ttlMs === undefined ? undefined : Math.max(1, Math.ceil(ttlMs / 1000));
    const put: PendingPut = { key: etcdKey, value, provisional: event.resourceVersion, basis, ttlSeconds };
    this.unechoed.set(etcdKey, put);
    this.open.push(put);
  }

  commit(): Promise<number[]> {
    const puts = this.open;
    this.open = [];
    const generation = this.generation;
    const run = this.queue.then(async () => {
      if (generation !== this.generation) {
        this.forget(puts);
        throw new CommitFailure('an earlier write to etcd failed', 0, 'conflict');
      }
      const revisions: number[] = [];
      for (const put of puts) {
        try {
          revisions.push(await this.transact(put));
        } catch (error) {
          this.generation++;
          this.forget(puts.slice(revisions.length));
          const { message, reason, storageRevision } =
            error instanceof CommitFailure ? error : { message: `etcd: ${(error as Error).message}`, reason: 'unreachable' as const };
          throw new CommitFailure(message, revisions.length, reason, storageRevision, revisions);
        }
      }
      return revisions;
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  discard(): void {
    this.forget(this.open);
    this.open = [];
  }

  /** Writes that will never be sent (or were refused): a later write to their key builds on what etcd holds instead. */
  private forget(puts: PendingPut[]): void {
    for (const put of puts) if (this.unechoed.get(put.key) === put) this.unechoed.delete(put.key);
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

  /** One write; the watch's events meanwhile are handed on once it has answered (and is known as this server's). */
  private transact(put: PendingPut): Promise<number> {
    const answered = this.send(put);
    this.inFlight = answered.catch(() => undefined);
    return answered;
  }

  /** The write, if its key still holds what the write was computed from (store.go's Create and GuaranteedUpdate). */
  private async send(put: PendingPut): Promise<number> {
    const basis = typeof put.basis === 'number' ? put.basis : put.basis.revision!;
    const compare = basis === 0 ? this.client.if(put.key, 'Create', '==', 0) : this.client.if(put.key, 'Mod', '==', basis);
    const lease = put.ttlSeconds === undefined ? undefined : await this.leases.leaseFor(put.ttlSeconds);
    const written = put.value === undefined ? undefined : this.client.put(put.key).value(put.value);
    if (lease !== undefined) written?.lease(lease);
    const object = written ?? this.client.delete().key(put.key);
    const response = await compare.then(object).commit();
    const revision = Number(response.header.revision);
    if (!response.succeeded) {
      throw new CommitFailure(`etcd: ${put.key} changed since the write read it`, 0, 'conflict', revision);
    }
    put.revision = revision;
    this.acknowledged.set(revision, put);
    return revision;
  }

  private async follow(revision: number): Promise<void> {
    this.watcher = await this.client
      .watch()
      .prefix(this.layout.root)
      .startRevision(String(revision + 1))
      .create();
    this.watcher.on('data', (response: IWatchResponse) => {
      // Wait for the transaction in flight: its answer tells whether one of these events is this server's own write.
      const answered = this.inFlight;
      this.deliveries = this.deliveries
        .then(() => answered)
        .then(() => this.receive(response))
        .catch(() => undefined);
    });
    // The client resumes a broken watch from the last revision it saw; nothing to do but not crash on its errors.
    this.watcher.on('error', () => undefined);
  }

  private receive(response: IWatchResponse): void {
    const writes: RemoteWrite[] = [];
    for (const event of response.events) {
      const revision = Number(event.kv.mod_revision);
      const own = this.acknowledged.get(revision);
      if (own) {
        this.acknowledged.delete(revision);
        if (this.unechoed.get(own.key) === own) this.unechoed.delete(own.key);
      }
      const key = this.layout.objectKeyOf(event.kv.key.toString());
      if (!key) continue;
      const write: RemoteWrite = event.type === 'Put' ? { key, object: decode(event.kv), revision } : { key, revision };
      writes.push(own ? { ...write, own: true } : write);
    }
    if (writes.length > 0) this.applyRemote?.(writes);
  }
}

/** Reads every object under the prefix at one revision, the revision the watch then follows from. */
async function load(client: Etcd3, layout: EtcdKeyLayout): Promise<StoredState> {
  const read = await client.getAll().prefix(layout.root).exec();
  const objects: StoredState['objects'] = [];
  for (const kv of read.kvs) {
    const key = layout.objectKeyOf(kv.key.toString());
    if (key) objects.push({ key, object: decode(kv) });
  }
  return { revision: Number(read.header.revision), compactedRevision: 0, objects, history: [] };
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
