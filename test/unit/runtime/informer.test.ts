import t from 'tap';
import { gone } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/types.js';
import { VirtualClock } from '../../../src/runtime/clock.js';
import { Informer, SharedInformerFactory, objectKey, splitKey } from '../../../src/runtime/informer.js';
import { FakeClient } from './fake-client.js';

const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const pod = (namespace: string, name: string, nodeName?: string, labels?: Record<string, string>): KubeObject => ({
  ...POD,
  metadata: { namespace, name, labels },
  spec: nodeName ? { nodeName } : {},
});

function recorder(informer: Informer) {
  const seen: string[] = [];
  informer.addEventHandler({
    onAdd: (obj) => seen.push(`add ${objectKey(obj)}`),
    onUpdate: (old, obj) => seen.push(`update ${objectKey(obj)} ${old.metadata.resourceVersion}->${obj.metadata.resourceVersion}`),
    onDelete: (obj) => seen.push(`delete ${objectKey(obj)}`),
  });
  return seen;
}

async function setup() {
  const clock = new VirtualClock();
  const client = new FakeClient();
  await client.create(pod('ns1', 'existing'));
  const informer = new Informer(client, POD, {}, { clock });
  const seen = recorder(informer);
  informer.start();
  t.equal(await informer.waitForSync(), true);
  return { clock, client, informer, seen };
}

t.test('keys', async (t) => {
  t.equal(objectKey(pod('ns', 'a')), 'ns/a');
  t.equal(objectKey({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }), 'n1');
  t.same(splitKey('ns/a'), { namespace: 'ns', name: 'a' });
  t.same(splitKey('n1'), { name: 'n1' });
});

t.test('lists, then sees adds, updates and deletes from the watch', async (t) => {
  const { client, informer, seen } = await setup();
  t.ok(informer.hasSynced());
  t.same(seen, ['add ns1/existing']);
  const created = await client.create(pod('ns1', 'p1'));
  await client.patch(POD, 'ns1', 'p1', 'merge', { metadata: { labels: { x: 'y' } } });
  await client.delete(POD, 'ns1', 'existing');
  t.same(seen.slice(1), [
    'add ns1/p1',
    `update ns1/p1 ${created.metadata.resourceVersion}->${Number(created.metadata.resourceVersion) + 1}`,
    'delete ns1/existing',
  ]);
  t.same(informer.list().map(objectKey), ['ns1/p1']);
  t.same(informer.getByName('ns1', 'p1')?.metadata.labels, { x: 'y' });
  t.ok(Object.isFrozen(informer.get('ns1/p1')?.metadata), 'cached objects are frozen');
  informer.stop();
  t.equal(client.watches.size, 0, 'stop closes the watch');
});

t.test('a late handler gets the cached objects as adds', async (t) => {
  const { informer } = await setup();
  const late = recorder(informer);
  t.same(late, ['add ns1/existing']);
  informer.stop();
});

t.test('removed handlers hear nothing more; a throwing handler does not stop the others', async (t) => {
  const { client, informer, seen } = await setup();
  const registration = informer.addEventHandler({
    onAdd: () => {
      throw new Error('boom');
    },
  });
  await client.create(pod('ns1', 'a'));
  t.same(seen.at(-1), 'add ns1/a');
  registration.remove();
  const other: string[] = [];
  const r2 = informer.addEventHandler({ onAdd: (o) => other.push(objectKey(o)) });
  r2.remove();
  await client.create(pod('ns1', 'b'));
  t.same(other, ['ns1/existing', 'ns1/a'], 'only the replay, nothing after remove');
  informer.stop();
});

t.test('resumes the watch from the last resourceVersion when the stream ends', async (t) => {
  const { client, informer, seen } = await setup();
  await client.create(pod('ns1', 'p1'));
  const lastRv = client.resourceVersion;
  client.completeWatches();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(client.calls.filter((c) => c.startsWith('list')).length, 1, 'no re-list');
  t.equal(client.calls.at(-1), `watch Pod@${lastRv}`);
  await client.create(pod('ns1', 'p2'));
  t.same(seen, ['add ns1/existing', 'add ns1/p1', 'add ns1/p2']);
  informer.stop();
});

t.test('re-lists after 410 and reports what changed meanwhile', async (t) => {
  const { client, informer, seen } = await setup();
  const keepRv = (await client.create(pod('ns1', 'keep'))).metadata.resourceVersion;
  // Changes the informer never hears of: a pod added, one deleted, one changed.
  client.silently((pods) => {
    pods.delete('ns1/existing');
    const keep = pods.get('ns1/keep')!;
    pods.set('ns1/keep', { ...keep, metadata: { ...keep.metadata, resourceVersion: '100' } });
    pods.set('ns1/new', { ...pod('ns1', 'new'), metadata: { namespace: 'ns1', name: 'new', resourceVersion: '101' } });
  }, POD);
  client.compact();
  client.breakWatches(gone('too old resource version'));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(client.calls.filter((c) => c.startsWith('list')).length, 2, 'listed again');
  t.same(seen.slice(2).sort(), ['add ns1/new', 'delete ns1/existing', `update ns1/keep ${keepRv}->100`]);
  t.same(informer.list().map(objectKey).sort(), ['ns1/keep', 'ns1/new']);
  t.match(client.calls.at(-1), /^watch Pod@\d+$/, 'watches again from the new list');
  informer.stop();
});

t.test('re-lists after a 410 ERROR event in the stream (as the HTTP client delivers it)', async (t) => {
  const { client, informer } = await setup();
  for (const open of client.watches) open.subscriber.next({ type: 'ERROR', object: gone('too old').toStatus() as unknown as KubeObject });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(client.calls.filter((c) => c.startsWith('list')).length, 2);
  t.equal(client.watches.size, 1, 'one watch open again');
  informer.stop();
});

t.test('after another watch failure it waits, then lists again', async (t) => {
  const { clock, client, informer } = await setup();
  client.breakWatches(new Error('connection reset'));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(client.calls.filter((c) => c.startsWith('list')).length, 1);
  await clock.advance(1000);
  t.equal(client.calls.filter((c) => c.startsWith('list')).length, 2);
  informer.stop();
  t.equal(clock.pendingTimers().length, 0);
});

t.test('indexes by namespace and by custom functions', async (t) => {
  const clock = new VirtualClock();
  const client = new FakeClient();
  await client.create(pod('a', 'p1', 'node1'));
  await client.create(pod('b', 'p2', 'node1'));
  const informer = new Informer(client, POD, {}, { clock });
  informer.addIndexer('nodeName', (obj) => {
    const nodeName = (obj.spec as { nodeName?: string }).nodeName;
    return nodeName ? [nodeName] : [];
  });
  informer.start();
  await informer.waitForSync();
  await client.create(pod('a', 'p3'));
  t.same(informer.byIndex('nodeName', 'node1').map(objectKey).sort(), ['a/p1', 'b/p2']);
  await client.patch(POD, 'a', 'p3', 'merge', { spec: { nodeName: 'node2' } });
  await client.patch(POD, 'a', 'p1', 'merge', { spec: { nodeName: 'node2' } });
  t.same(informer.byIndex('nodeName', 'node1').map(objectKey), ['b/p2']);
  t.same(informer.byIndex('nodeName', 'node2').map(objectKey).sort(), ['a/p1', 'a/p3']);
  t.same(informer.listByNamespace('a').map(objectKey).sort(), ['a/p1', 'a/p3']);
  // An update that keeps the index values leaves the index as it is, and reads give the new version.
  await client.patch(POD, 'b', 'p2', 'merge', { metadata: { labels: { x: 'y' } } });
  t.same(
    informer.byIndex('nodeName', 'node1').map((obj) => obj.metadata.labels),
    [{ x: 'y' }],
  );
  t.same(
    informer.listByNamespace('b').map((obj) => obj.metadata.labels),
    [{ x: 'y' }],
  );
  await client.delete(POD, 'a', 'p1');
  t.same(informer.byIndex('nodeName', 'node2').map(objectKey), ['a/p3']);
  // A value holds one key without a Set, two in one, and none once its last key goes: the answers are the same.
  t.equal(informer.countByIndex('nodeName', 'node2'), 1);
  await client.patch(POD, 'b', 'p2', 'merge', { spec: { nodeName: 'node2' } });
  t.same(informer.byIndex('nodeName', 'node2').map(objectKey).sort(), ['a/p3', 'b/p2']);
  t.equal(informer.countByIndex('nodeName', 'node2'), 2);
  t.same(informer.indexValues('nodeName'), ['node2'], 'a value left with no key is gone');
  await client.delete(POD, 'a', 'p3');
  await client.delete(POD, 'b', 'p2');
  t.equal(informer.countByIndex('nodeName', 'node2'), 0);
  t.same(informer.byIndex('nodeName', 'node2'), []);
  t.same(informer.indexValues('nodeName'), []);
  t.throws(() => informer.byIndex('nope', 'x'), /no index "nope"/);
  informer.stop();
});

t.test('scope: namespace and label selector reach list and watch', async (t) => {
  const clock = new VirtualClock();
  const client = new FakeClient();
  const informer = new Informer(client, POD, { namespace: 'a', labelSelector: 'app=x' }, { clock });
  informer.start();
  await informer.waitForSync();
  await client.create(pod('a', 'yes', undefined, { app: 'x' }));
  await client.create(pod('a', 'no', undefined, { app: 'y' }));
  await client.create(pod('b', 'other-ns', undefined, { app: 'x' }));
  t.same(informer.list().map(objectKey), ['a/yes']);
  informer.stop();
});

t.test('waitForSync answers false when stopped before syncing', async (t) => {
  const informer = new Informer(new FakeClient(), POD, {}, { clock: new VirtualClock() });
  const waiting = informer.waitForSync();
  informer.stop();
  t.equal(await waiting, false);
});

t.test('SharedInformerFactory shares one informer per kind and scope', async (t) => {
  const clock = new VirtualClock();
  const client = new FakeClient();
  const factory = new SharedInformerFactory(client, { clock });
  const a = factory.informerFor(POD);
  t.equal(factory.informerFor(POD), a);
  t.not(factory.informerFor(POD, { namespace: 'x' }), a);
  t.not(factory.informerFor({ apiVersion: 'v1', kind: 'Node' }), a);
  factory.start();
  t.equal(await factory.waitForSync(), true);
  const late = factory.informerFor(POD, { labelSelector: 'a=b' });
  t.equal(await late.waitForSync(), true, 'informers requested after start start at once');
  t.equal(client.calls.filter((c) => c.startsWith('list')).length, 4);
  factory.stop();
  t.equal(client.watches.size, 0);
});

t.test('an object an index function cannot read is logged and left out of that index; the informer keeps going', async (t) => {
  const clock = new VirtualClock();
  const client = new FakeClient();
  const errors: string[] = [];
  const informer = new Informer(client, POD, {}, { clock, logger: { info: () => {}, error: (m) => errors.push(m) } });
  // The garbage collector's owner index, fed a ConfigMap-like object whose ownerReferences is not a list.
  informer.addIndexer('owner', (obj) => (obj.metadata.ownerReferences ?? []).map((ref) => ref.uid));
  const seen = recorder(informer);
  informer.start();
  await informer.waitForSync();
  await client.create({ ...pod('ns', 'malformed'), metadata: { namespace: 'ns', name: 'malformed', ownerReferences: 'x' as never } });
  const ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'o', uid: 'u1' }];
  await client.create({ ...pod('ns', 'owned'), metadata: { namespace: 'ns', name: 'owned', ownerReferences } });
  await clock.advance(1);
  t.same(seen, ['add ns/malformed', 'add ns/owned'], 'handlers heard both');
  t.same(informer.byIndex('owner', 'u1').map(objectKey), ['ns/owned']);
  t.same(informer.listByNamespace('ns').map(objectKey).sort(), ['ns/malformed', 'ns/owned']);
  t.match(errors, [/Pod index "owner" failed on ns\/malformed/]);
  await client.delete(POD, 'ns', 'malformed');
  await clock.advance(1);
  t.same(seen.at(-1), 'delete ns/malformed');
  informer.stop();
});

t.test('an exception while applying a watch event never reaches rxjs (where it would be an uncaught exception)', async (t) => {
  const clock = new VirtualClock();
  const client = new FakeClient();
  const errors: string[] = [];
  const informer = new Informer(client, POD, {}, { clock, logger: { info: () => {}, error: (m) => errors.push(m) } });
  informer.start();
  await informer.waitForSync();
  await clock.advance(1);
  t.equal(client.watches.size, 1, 'watching');
  // An object without metadata cannot be keyed: applying it throws inside the watch subscriber.
  client.emit(POD, { type: 'ADDED', object: { apiVersion: 'v1', kind: 'Pod' } as KubeObject });
  await client.create(pod('ns', 'after'));
  await clock.advance(1);
  t.match(errors, [/Pod watch event could not be applied/]);
  t.ok(informer.getByName('ns', 'after'), 'later events still arrive');
  informer.stop();
});
