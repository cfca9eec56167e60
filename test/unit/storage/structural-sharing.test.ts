import t from 'tap';
import { shareUnchanged } from '../../../src/storage/structural-sharing.js';
import { StringPool } from '../../../src/storage/string-pool.js';
import { Store, type StoreEvent } from '../../../src/storage/store.js';
import type { KubeObject } from '../../../src/api/types.js';
import { deepFreeze } from '../../../src/runtime/deep-freeze.js';

const pod = (phase: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', labels: { app: 'a' } },
  spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'X', value: '1' }] }] },
  status: { phase, conditions: [{ type: 'Ready', status: 'False' }] },
});

t.test('a new version takes the unchanged subtrees of the previous one', async (t) => {
  const previous = deepFreeze(pod('Pending'));
  const next = pod('Running');
  const shared = shareUnchanged(next, previous, new StringPool());
  t.equal(shared, next, 'a changed object stays the new one');
  t.equal(shared.spec, previous.spec, 'an equal spec is the previous spec');
  t.equal(shared.metadata, previous.metadata);
  t.equal((shared.status as { conditions: unknown }).conditions, (previous.status as { conditions: unknown }).conditions);
  t.not(shared.status, previous.status, 'the changed status is not shared');
  t.same(shared, pod('Running'), 'the content is the new version');
});

t.test('equal content in another key order, or with extra or missing keys, is not shared', async (t) => {
  const previous = deepFreeze({ a: { x: 1, y: 2 }, b: { x: 1 }, c: { x: 1 }, d: [1, 2] });
  const next = { a: { y: 2, x: 1 }, b: { x: 1, z: undefined }, c: {}, d: [1, 2, 3] };
  const shared = shareUnchanged(next, previous, new StringPool());
  t.not(shared.a, previous.a, 'key order is part of the JSON a client sees');
  t.same(Object.keys(shared.a), ['y', 'x']);
  t.not(shared.b, previous.b);
  t.ok(Object.hasOwn(shared.b, 'z'));
  t.not(shared.c, previous.c);
  t.not(shared.d, previous.d);
  t.same(shared.d, [1, 2, 3]);
});

t.test('an equal object is the previous one; frozen parts of the new one are left as they are', async (t) => {
  const previous = deepFreeze(pod('Running'));
  t.equal(shareUnchanged(pod('Running'), previous, new StringPool()), previous);
  const frozenStatus = deepFreeze({ phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False' }] });
  const next = { ...pod('x'), status: frozenStatus };
  const shared = shareUnchanged(next, previous, new StringPool());
  t.equal(shared.status, frozenStatus, 'no write into a frozen object');
  t.equal(shared.spec, previous.spec);
});

t.test('the store shares unchanged parts between versions, and the history keeps each version intact', async (t) => {
  const store = new Store();
  const events: StoreEvent[] = [];
  store.events.subscribe((e) => events.push(e));
  const first = store.put('/pods', pod('Pending'));
  const second = store.put('/pods', pod('Running'));
  t.equal(second.spec, first.spec);
  t.ok(Object.isFrozen(second) && Object.isFrozen(second.status));
  t.equal(second.metadata.resourceVersion, '2');
  t.equal(first.metadata.resourceVersion, '1', 'the previous version keeps its own resourceVersion');
  t.equal((events[1].previous?.status as { phase: string } | undefined)?.phase, 'Pending');
  t.equal((events[1].object.status as { phase: string }).phase, 'Running');
});

t.test('a first version is kept as it is (its strings pooled, which JavaScript cannot tell apart)', async (t) => {
  const pool = new StringPool(2);
  const created = pod('Pending');
  const stored = shareUnchanged(created, undefined, pool);
  t.equal(stored, created);
  t.same(stored, pod('Pending'));
  for (const word of ['a', 'b', 'c', 'a']) t.equal(pool.intern(`${word}`), word, 'the pool answers an equal string across generations');
});

/** Every object and array under `value` is frozen. */
const deeplyFrozen = (value: unknown): boolean =>
  typeof value !== 'object' || value === null || (Object.isFrozen(value) && Object.values(value).every(deeplyFrozen));

t.test('the same write, given fresh copies or the stored subtrees themselves, stores the same object', async (t) => {
  const fresh = new Store();
  const byIdentity = new Store();
  const first = [fresh.put('/pods', pod('Pending')), byIdentity.put('/pods', pod('Pending'))];
  t.same(first[0], first[1]);
  // A writer that changed only the status passes the stored spec and metadata on unchanged, by identity.
  const reusing = { ...first[1], status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } };
  const [a, b] = [fresh.put('/pods', pod('Running')), byIdentity.put('/pods', reusing)];
  t.same(a, b, 'equal content, resourceVersion included');
  t.same(a, { ...pod('Running'), metadata: { ...pod('Running').metadata, resourceVersion: '2' } });
  t.equal(b.spec, first[1].spec, 'a subtree passed by identity stays the stored one');
  t.equal(a.spec, first[0].spec, 'an equal fresh copy is replaced by the stored one');
  t.equal((a.status as { conditions: unknown }).conditions, (first[0].status as { conditions: unknown }).conditions);
  t.ok(deeplyFrozen(a) && deeplyFrozen(b), 'frozen throughout, with no second walk to freeze them');
});

t.test('the parts of the new version it keeps are frozen in the walk; a frozen part is not walked for nothing', async (t) => {
  const previous = deepFreeze(pod('Pending'));
  const next = pod('Running');
  const shared = shareUnchanged(next, previous, new StringPool());
  t.ok(deeplyFrozen(shared));
  t.ok(Object.isFrozen(next.status), 'the changed status, kept, is frozen in place');
  const frozenNew = deepFreeze({ a: { b: [1, { c: 'd' }] } });
  t.equal(shareUnchanged(frozenNew, undefined, new StringPool()), frozenNew, 'a frozen object with nothing to compare is itself');
  const sameValuesOtherKeys = deepFreeze({ x: 1 });
  t.not(shareUnchanged({ x: 1, y: undefined }, sameValuesOtherKeys, new StringPool()), sameValuesOtherKeys, 'a key more is a change');
  t.equal(shareUnchanged({ x: 1 }, sameValuesOtherKeys, new StringPool()), sameValuesOtherKeys);
});

t.test('a new object shares what it has equal with the object created before it, and is stored as written', async (t) => {
  const named = (name: string, phase: string): KubeObject => ({ ...pod(phase), metadata: { ...pod(phase).metadata, name } });
  const store = new Store();
  const first = store.put('/pods', named('a', 'Pending'));
  const second = store.put('/pods', named('b', 'Running'));
  t.equal(second.spec, first.spec, 'an equal spec is one object');
  t.equal(second.metadata.labels, first.metadata.labels, 'and equal labels');
  t.not(second.status, first.status, 'a different status is its own');
  t.equal((second.status as { conditions: unknown }).conditions, (first.status as { conditions: unknown }).conditions);
  t.same(second, { ...named('b', 'Running'), metadata: { ...named('b', 'Running').metadata, resourceVersion: '2' } });
  t.same(store.get('/pods', 'default', 'a'), {
    ...named('a', 'Pending'),
    metadata: { ...named('a', 'Pending').metadata, resourceVersion: '1' },
  });
  // The same writes in a store that saw nothing before give equal objects: sharing changes no answer.
  const aloneStore = new Store();
  aloneStore.put('/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
  const alone = aloneStore.put('/pods', named('b', 'Running'));
  t.not(alone.spec, first.spec);
  t.same(second, alone);
  t.same(JSON.stringify(second), JSON.stringify(alone), 'key order too');
  const otherResource = store.put('/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { app: 'a' } } });
  t.not(otherResource.metadata.labels, first.metadata.labels, 'objects of another resource are not compared');
});
