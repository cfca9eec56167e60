import t from 'tap';
import { Store, type StoreEvent } from '../../../src/storage/store.js';
import type { KubeObject } from '../../../src/api/types.js';

const cm = (name: string, namespace = 'default', data: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });

t.test('writes get increasing resourceVersions and frozen objects', async (t) => {
  const store = new Store();
  const a = store.put('/configmaps', cm('a'));
  const b = store.put('/configmaps', cm('b'));
  t.equal(a.metadata.resourceVersion, '1');
  t.equal(b.metadata.resourceVersion, '2');
  t.ok(Object.isFrozen(a) && Object.isFrozen(a.metadata) && Object.isFrozen(a.data));
  t.equal(store.get('/configmaps', 'default', 'a'), a, 'readers share the stored object');
  t.same(store.list('/configmaps').map((o) => o.metadata.name), ['a', 'b']);
});

t.test('events carry type, previous state and order', async (t) => {
  const store = new Store();
  const events: StoreEvent[] = [];
  store.events.subscribe((e) => events.push(e));
  store.put('/configmaps', cm('a'));
  store.put('/configmaps', cm('a', 'default', { k: 'v' }));
  store.remove('/configmaps', 'default', 'a');
  t.same(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
  t.equal(events[1].previous?.metadata.resourceVersion, '1');
  t.equal(events[2].resourceVersion, 3, 'a delete has its own resourceVersion');
  t.equal(store.get('/configmaps', 'default', 'a'), undefined);
  t.same(store.list('/configmaps'), []);
});

t.test('lists by namespace are sorted by name; counts follow writes', async (t) => {
  const store = new Store();
  for (const name of ['c', 'a', 'b']) store.put('/configmaps', cm(name, 'x'));
  store.put('/configmaps', cm('z', 'y'));
  t.same(store.list('/configmaps', 'x').map((o) => o.metadata.name), ['a', 'b', 'c']);
  t.same(store.list('/configmaps').map((o) => `${o.metadata.namespace}/${o.metadata.name}`), ['x/a', 'x/b', 'x/c', 'y/z']);
  t.equal(store.count('/configmaps'), 4);
  store.remove('/configmaps', 'y', 'z');
  t.same(store.namespacesOf('/configmaps'), ['x']);
});

t.test('history resumes from a covered resourceVersion and reports an evicted one', async (t) => {
  const store = new Store(3);
  for (let i = 0; i < 5; i++) store.put('/configmaps', cm(`o${i}`));
  t.ok(store.history.covers(2), 'events after rv 2 are all held');
  t.notOk(store.history.covers(1), 'rv 2 fell out of the ring');
  t.same(store.history.since(3).map((e) => e.resourceVersion), [4, 5]);
  t.same(store.history.since(5), []);
});

t.test('a past revision reads as it was, until it is compacted; lists follow etcd key order', async (t) => {
  const store = new Store();
  store.put('/configmaps', cm('b'));
  store.put('/configmaps', cm('x', 'a-b'));
  const at = store.put('/configmaps', cm('a')).metadata.resourceVersion!;
  store.put('/configmaps', cm('c'));
  store.put('/configmaps', cm('a', 'default', { k: 'changed' }));
  store.remove('/configmaps', 'default', 'b');
  const names = (objects: KubeObject[] | undefined) => objects?.map((o) => `${o.metadata.namespace}/${o.metadata.name}:${o.metadata.resourceVersion}`);
  t.same(names(store.listAt('/configmaps', undefined, Number(at))), ['a-b/x:2', 'default/a:3', 'default/b:1'], '"a-b/" sorts before "default/", as etcd keys do');
  t.same(names(store.listAt('/configmaps', 'default', Number(at))), ['default/a:3', 'default/b:1']);
  t.same(names(store.listAt('/configmaps', 'default', store.resourceVersion)), ['default/a:5', 'default/c:4']);
  store.compact(4);
  t.equal(store.listAt('/configmaps', 'default', Number(at)), undefined, 'compacted');
  t.same(names(store.listAt('/configmaps', 'default', 4)), ['default/a:3', 'default/b:1', 'default/c:4'], 'the compaction revision itself stays readable');
});
