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
