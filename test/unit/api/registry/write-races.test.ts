/**
 * Writes another write overtakes while they are in admission: the registry computes them again on the newer object
 * (GuaranteedUpdate), server-side apply included, and never writes over a version it did not read, even when that
 * version carries the resourceVersion of the one it read (two API servers on one etcd).
 */
import t from 'tap';
import { AdmissionChain, type AdmissionAttributes } from '../../../../src/admission/chain.js';
import { builtinResourceTypes } from '../../../../src/api/builtin-types.js';
import { newContext } from '../../../../src/api/registry/context.js';
import { GenericRegistry } from '../../../../src/api/registry/registry.js';
import { DefaultSchemaCatalog } from '../../../../src/api/schema-catalog.js';
import type { KubeObject } from '../../../../src/api/types.js';
import { adminUser } from '../../../../src/auth/user.js';
import { RealClock } from '../../../../src/runtime/clock.js';
import { SeededRandom } from '../../../../src/runtime/seeded-random.js';
import { CommitFailure, type ObjectKey, type RemoteWrite, type StorageBackend } from '../../../../src/storage/backend.js';
import { Store, type StoreEvent } from '../../../../src/storage/store.js';
import { fixedHistory } from '../../../../src/storage/watch-history.js';

const CONFIGMAPS = builtinResourceTypes().find((type) => type.plural === 'configmaps' && type.group === '')!;
const KEY: ObjectKey = { storageKey: CONFIGMAPS.storageKey, namespace: 'default', name: 'shared' };
const configMap = (data: Record<string, string>, resourceVersion?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'shared', namespace: 'default', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z', resourceVersion },
  data,
});

/** Runs `whileAdmitted` (once) while the first write that `holds` for is in admission (mutating, or validating for a delete). */
function admissionWith(
  holds: (attributes: AdmissionAttributes) => boolean,
  whileAdmitted: (attributes: AdmissionAttributes) => Promise<void> | void,
): AdmissionChain {
  const chain = new AdmissionChain();
  let done = false;
  const admit = async (attributes: AdmissionAttributes) => {
    if (done || !holds(attributes)) return;
    done = true;
    await whileAdmitted(attributes);
  };
  chain.addMutating({
    name: 'overtaken',
    mutate: async (attributes) => {
      await admit(attributes);
      return attributes.object;
    },
  });
  chain.addValidating({ name: 'overtaken', validate: admit });
  return chain;
}

const registryOver = (store: Store, admission: AdmissionChain) =>
  new GenericRegistry({
    store,
    schemas: new DefaultSchemaCatalog(() => undefined),
    admission,
    clock: new RealClock(),
    random: new SeededRandom(1),
  });

const dataOf = (store: Store) => store.get(KEY.storageKey, KEY.namespace, KEY.name)?.data;

t.test('a server-side apply overtaken by another write is applied again to the newer object', async (t) => {
  const store = new Store();
  store.put(KEY.storageKey, configMap({ a: '1' }));
  const admission = admissionWith(
    (attributes) => attributes.operation === 'UPDATE',
    () => void store.put(KEY.storageKey, { ...store.get(KEY.storageKey, 'default', 'shared')!, data: { a: '1', other: 'x' } }),
  );
  const registry = registryOver(store, admission);
  const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'default' }, data: { a: '1', mine: 'y' } };
  const ctx = { ...newContext(adminUser), fieldManager: 'applier' };
  await registry.patch(CONFIGMAPS, 'default', 'shared', 'apply', applied, ctx, { force: true });
  t.same(dataOf(store), { a: '1', other: 'x', mine: 'y' });
});

t.test('a delete overtaken by another write marks the newer object, keeping that write', async (t) => {
  const store = new Store();
  const stored = configMap({ a: '1' });
  store.put(KEY.storageKey, { ...stored, metadata: { ...stored.metadata, finalizers: ['example.com/keep'] } });
  const admission = admissionWith(
    (attributes) => attributes.operation === 'DELETE',
    () => void store.put(KEY.storageKey, { ...store.get(KEY.storageKey, 'default', 'shared')!, data: { a: '1', other: 'x' } }),
  );
  const registry = registryOver(store, admission);
  const deleted = await registry.delete(CONFIGMAPS, 'default', 'shared', {}, newContext(adminUser));
  t.equal(deleted.removed, false, 'the finalizer keeps it');
  const object = store.get(KEY.storageKey, 'default', 'shared');
  t.same(object?.data, { a: '1', other: 'x' });
  t.ok(object?.metadata.deletionTimestamp);
});

/**
 * etcd as two API servers share it, reduced to what the store relies on: one revision counter, a compare of each write's
 * key with the revision it was computed from, and a watch that reports every write (this server's marked own).
 */
class SharedEtcd implements StorageBackend {
  revision = 5;
  private readonly modRevisions = new Map<string, number>([['shared', 5]]);
  private open: { event: StoreEvent; key: ObjectKey }[] = [];
  private apply: (writes: RemoteWrite[]) => void = () => undefined;

  load() {
    return { revision: 5, compactedRevision: 0, objects: [{ key: KEY, object: configMap({ base: 'y' }, '5') }], history: [] };
  }
  write(event: StoreEvent, key: ObjectKey): void {
    this.open.push({ event, key });
  }
  commit(): Promise<number[]> {
    const writes = this.open;
    this.open = [];
    const revisions: number[] = [];
    for (const { event, key } of writes) {
      const expected = event.previous ? Number(event.previous.metadata.resourceVersion) : 0;
      if ((this.modRevisions.get(key.name) ?? 0) !== expected)
        return Promise.reject(new CommitFailure('etcd: the key changed', revisions.length, 'conflict', this.revision, revisions));
      this.modRevisions.set(key.name, ++this.revision);
      revisions.push(this.revision);
    }
    // The watch reports the writes once the transaction has answered.
    setImmediate(() => this.apply(writes.map(({ key }, i) => ({ key, revision: revisions[i], own: true }))));
    return Promise.resolve(revisions);
  }
  /** Another API server's write of the object. */
  writeFromOtherServer(object: KubeObject): void {
    this.modRevisions.set(KEY.name, ++this.revision);
    const revision = this.revision;
    setImmediate(() => this.apply([{ key: KEY, object, revision }]));
  }
  discard(): void {
    this.open = [];
  }
  compact(): void {}
  close(): void {}
  onRemoteWrites(apply: (writes: RemoteWrite[]) => void): void {
    this.apply = apply;
  }
}

t.test("no patch is lost when another server's write takes the resourceVersion of an undone write it was computed from", async (t) => {
  const etcd = new SharedEtcd();
  const store = new Store(fixedHistory(100), undefined, etcd);
  let computedFrom: KubeObject | undefined;
  let release: (() => void) | undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  // The second patch goes on as soon as the other server's write is in, before the first patch is made again on it.
  let theirs: StoreEvent | undefined;
  store.onWrite(KEY.storageKey, (event) => {
    if (event.object.data?.other !== 'y' || theirs) return;
    theirs = event;
    release!();
  });
  // The second patch is computed from the first one's write (provisional resourceVersion 6) and waits in admission
  // until that write is undone and the other server's write has come in at revision 6.
  const admission = admissionWith(
    (attributes) => attributes.object?.data?.second === 'y',
    (attributes) => {
      computedFrom = attributes.oldObject;
      return released;
    },
  );
  const registry = registryOver(store, admission);
  const ctx = newContext(adminUser);
  const first = registry.patch(CONFIGMAPS, 'default', 'shared', 'merge', { data: { first: 'y' } }, ctx);
  await new Promise(setImmediate);
  etcd.writeFromOtherServer(configMap({ base: 'y', other: 'y' }));
  const second = registry.patch(CONFIGMAPS, 'default', 'shared', 'merge', { data: { second: 'y' } }, ctx);
  await Promise.all([first, second]);
  t.same(
    [computedFrom?.metadata.resourceVersion, computedFrom?.data],
    ['6', { base: 'y', first: 'y' }],
    "the second patch read the first one's write",
  );
  t.equal(theirs?.resourceVersion, 6, "the first patch's write was undone, and the other server's write got its revision");
  t.same(dataOf(store), { base: 'y', other: 'y', first: 'y', second: 'y' }, 'every write is there');
});
