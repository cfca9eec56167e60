import { config } from 'rxjs';
import t from 'tap';
import { CommitFailure, type RemoteWrite, type StorageBackend } from '../../../src/storage/backend.js';
import type { ListView } from '../../../src/storage/list-view.js';
import { OutdatedWrite, type StorageError, Store, type StoreEvent } from '../../../src/storage/store.js';
import { fixedHistory } from '../../../src/storage/watch-history.js';
import type { KubeObject } from '../../../src/api/types.js';
import { VirtualClock } from '../../../src/runtime/clock.js';

const cm = (name: string, namespace = 'default', data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

t.test('writes get increasing resourceVersions and frozen objects', async (t) => {
  const store = new Store();
  const a = store.put('/configmaps', cm('a'));
  const b = store.put('/configmaps', cm('b'));
  t.equal(a.metadata.resourceVersion, '1');
  t.equal(b.metadata.resourceVersion, '2');
  t.ok(Object.isFrozen(a) && Object.isFrozen(a.metadata) && Object.isFrozen(a.data));
  t.equal(store.get('/configmaps', 'default', 'a'), a, 'readers share the stored object');
  t.same(
    store.list('/configmaps').map((o) => o.metadata.name),
    ['a', 'b'],
  );
});

t.test('events carry type, previous state and order', async (t) => {
  const store = new Store();
  const events: StoreEvent[] = [];
  store.events.subscribe((e) => events.push(e));
  store.put('/configmaps', cm('a'));
  store.put('/configmaps', cm('a', 'default', { k: 'v' }));
  store.remove('/configmaps', 'default', 'a');
  t.same(
    events.map((e) => e.type),
    ['ADDED', 'MODIFIED', 'DELETED'],
  );
  t.equal(events[1].previous?.metadata.resourceVersion, '1');
  t.equal(events[2].resourceVersion, 3, 'a delete has its own resourceVersion');
  t.equal(store.get('/configmaps', 'default', 'a'), undefined);
  t.same(store.list('/configmaps'), []);
});

t.test('lists by namespace are sorted by name; counts follow writes', async (t) => {
  const store = new Store();
  for (const name of ['c', 'a', 'b']) store.put('/configmaps', cm(name, 'x'));
  store.put('/configmaps', cm('z', 'y'));
  t.same(
    store.list('/configmaps', 'x').map((o) => o.metadata.name),
    ['a', 'b', 'c'],
  );
  t.same(
    store.list('/configmaps').map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    ['x/a', 'x/b', 'x/c', 'y/z'],
  );
  t.equal(store.count('/configmaps'), 4);
  store.remove('/configmaps', 'y', 'z');
  t.same(store.namespacesOf('/configmaps'), ['x']);
  // The order is kept between lists: each name or namespace that comes or goes must show in the next one.
  const names = () => store.list('/configmaps').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
  store.put('/configmaps', cm('bb', 'x'));
  store.put('/configmaps', cm('a', 'w'));
  store.put('/configmaps', cm('a', 'x', { changed: 'yes' }));
  t.same(names(), ['w/a', 'x/a', 'x/b', 'x/bb', 'x/c']);
  t.same(store.list('/configmaps', 'x')[0]?.data, { changed: 'yes' }, 'the newest version, in its place');
  store.remove('/configmaps', 'x', 'b');
  store.remove('/configmaps', 'w', 'a');
  t.same(names(), ['x/a', 'x/bb', 'x/c']);
});

t.test('history resumes from a covered resourceVersion and reports an evicted one', async (t) => {
  const store = new Store(fixedHistory(3));
  for (let i = 0; i < 5; i++) store.put('/configmaps', cm(`o${i}`));
  t.ok(store.history.covers('/configmaps', 2), 'events after rv 2 are all held');
  t.notOk(store.history.covers('/configmaps', 1), 'rv 2 fell out of the ring');
  t.equal(store.history.oldestResumable('/configmaps'), 2);
  t.same(
    store.history.since('/configmaps', 3).map((e) => e.resourceVersion),
    [4, 5],
  );
  t.same(store.history.since('/configmaps', 5), []);
});

t.test('each resource has its own history: a busy one never evicts a quiet one', async (t) => {
  const store = new Store(fixedHistory(3));
  store.put('/secrets', cm('quiet'));
  for (let i = 0; i < 10; i++) store.put('/configmaps', cm(`busy${i}`));
  t.ok(store.history.covers('/secrets', 0), 'nothing of the quiet resource was evicted');
  t.same(
    store.history.since('/secrets', 0).map((e) => e.resourceVersion),
    [1],
  );
  t.equal(store.history.oldestResumable('/configmaps'), 8, 'the busy one holds its last 3 events (9..11)');
  t.ok(store.history.covers('/pods', 0), 'a resource never written covers everything since the store began');
});

t.test("a resource's history is sized by time, as kube's watch cache: doubles while fresh, halves once stale", async (t) => {
  const clock = new VirtualClock(0);
  const store = new Store({ lowerBound: 4, upperBound: 16, freshMs: 75_000, persisted: 100 }, clock);
  for (let i = 0; i < 20; i++) store.put('/configmaps', cm(`c${i}`));
  t.equal(store.history.since('/configmaps', 0).length, 16, 'grew 4 → 8 → 16 while every event was under 75 s old');
  t.equal(store.history.oldestResumable('/configmaps'), 4, 'then evicts at its upper bound');
  await clock.advance(100_000);
  store.put('/configmaps', cm('late'));
  t.same(
    store.history.since('/configmaps', 0).map((e) => e.resourceVersion),
    [14, 15, 16, 17, 18, 19, 20, 21],
    'full with its newest quarter older than 75 s: halved to its newest 8, then the oldest made room',
  );
  t.notOk(store.history.covers('/configmaps', 12));
});

t.test('a write with a time to live expires on the clock, with a DELETED event; each write renews it', async (t) => {
  const clock = new VirtualClock(0);
  const store = new Store(fixedHistory(100), clock);
  const events: StoreEvent[] = [];
  store.events.subscribe((e) => events.push(e));
  store.put('/events', cm('short'), { ttlMs: 60_000 });
  store.put('/events', cm('renewed'), { ttlMs: 60_000 });
  store.put('/events', cm('kept'), { ttlMs: 60_000 });
  await clock.advance(30_000);
  store.put('/events', cm('renewed', 'default', { count: '2' }), { ttlMs: 60_000 });
  store.put('/events', cm('kept', 'default', { count: '2' }));
  t.equal(clock.pendingTimers().length, 1, 'one timer however many leases');
  await clock.advance(29_999);
  t.ok(store.get('/events', 'default', 'short'), 'not before its deadline');
  await clock.advance(1);
  t.equal(store.get('/events', 'default', 'short'), undefined);
  t.same(
    store.list('/events').map((o) => o.metadata.name),
    ['kept', 'renewed'],
  );
  const deleted = events.at(-1)!;
  t.match(deleted, { type: 'DELETED', storageKey: '/events', resourceVersion: 6 });
  t.match(deleted.object.metadata, { name: 'short', resourceVersion: '6' });
  await clock.advance(30_000);
  t.same(
    store.list('/events').map((o) => o.metadata.name),
    ['kept'],
    'the renewed one lives a TTL from its last write',
  );
  t.equal(clock.pendingTimers().length, 0, 'a write without a time to live ends the lease');
});

t.test('a removed object forgets its lease; leases need a clock', async (t) => {
  const clock = new VirtualClock(0);
  const store = new Store(fixedHistory(100), clock);
  store.put('/events', cm('a'), { ttlMs: 1_000 });
  store.remove('/events', 'default', 'a');
  store.put('/events', cm('a'));
  await clock.advance(5_000);
  t.ok(store.get('/events', 'default', 'a'), 'the new object under the same name is not expired by the old lease');
  t.throws(() => new Store().put('/events', cm('b'), { ttlMs: 1_000 }), /needs a store with a clock/);
});

t.test('many leases: superseded deadlines do not pile up and expiry keeps time order', async (t) => {
  const clock = new VirtualClock(0);
  const store = new Store(fixedHistory(100), clock);
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) store.put('/events', cm(`e${i}`), { ttlMs: 10_000 + i });
    await clock.advance(1);
  }
  t.equal(store.count('/events'), 100);
  await clock.advance(10_000 + 48);
  t.same(
    store
      .list('/events')
      .map((o) => o.metadata.name)
      .sort(),
    Array.from({ length: 50 }, (_, i) => `e${50 + i}`).sort(),
  );
  await clock.advance(100);
  t.equal(store.count('/events'), 0);
});

t.test('an undone write leaves the version put back under its own lease', async (t) => {
  const clock = new VirtualClock(0);
  let failNextCommit = false;
  const backend: StorageBackend = {
    load: () => ({ revision: 0, compactedRevision: 0, objects: [], history: [] }),
    write: () => undefined,
    commit: () => {
      if (!failNextCommit) return;
      failNextCommit = false;
      throw new Error('disk full');
    },
    discard: () => undefined,
    compact: () => undefined,
    close: () => undefined,
  };
  const store = new Store(fixedHistory(100), clock, backend);
  await store.written(store.put('/events', cm('a'), { ttlMs: 10_000 }));
  failNextCommit = true;
  // A write without a time to live would end the lease; it fails, so the lease goes on.
  await t.rejects(store.written(store.put('/events', cm('a', 'default', { count: '2' }))), /disk full/);
  t.same(store.get('/events', 'default', 'a')?.data, {}, 'the write is undone');
  await clock.advance(9_999);
  t.ok(store.get('/events', 'default', 'a'));
  await clock.advance(1);
  t.equal(store.get('/events', 'default', 'a'), undefined, 'the first version expires at its own deadline');
});

t.test('a closed store drops its expiry timer, so a stopped server leaves nothing keeping the process alive', async (t) => {
  const clock = new VirtualClock(0);
  const store = new Store(fixedHistory(100), clock);
  store.put('/events', cm('a'), { ttlMs: 1_000 });
  t.equal(clock.pendingTimers().length, 1);
  store.close();
  t.equal(clock.pendingTimers().length, 0);
  store.put('/events', cm('b'), { ttlMs: 1_000 });
  t.equal(clock.pendingTimers().length, 0);
});

t.test('a past revision reads as it was, until it is compacted; lists follow etcd key order', async (t) => {
  const store = new Store();
  store.put('/configmaps', cm('b'));
  store.put('/configmaps', cm('x', 'a-b'));
  const at = store.put('/configmaps', cm('a')).metadata.resourceVersion!;
  store.put('/configmaps', cm('c'));
  store.put('/configmaps', cm('a', 'default', { k: 'changed' }));
  store.remove('/configmaps', 'default', 'b');
  const names = (view: ListView | undefined) =>
    view && [...view.from('')].map((o) => `${o.metadata.namespace}/${o.metadata.name}:${o.metadata.resourceVersion}`);
  t.same(
    names(store.listAt('/configmaps', undefined, Number(at))),
    ['a-b/x:2', 'default/a:3', 'default/b:1'],
    '"a-b/" sorts before "default/", as etcd keys do',
  );
  t.same(names(store.listAt('/configmaps', 'default', Number(at))), ['default/a:3', 'default/b:1']);
  const past = store.listAt('/configmaps', undefined, Number(at))!;
  t.same(
    [...past.from('default/a\u0000')].map((o) => `${o.metadata.name}:${o.metadata.resourceVersion}`),
    ['b:1'],
    'a page from a key on, with a key deleted since back in its place',
  );
  t.same([past.countAfter('a-b/x'), past.countAfter('default/a'), past.countAfter('default/b')], [2, 1, 0], 'keys after one, then');
  const now = store.listAt('/configmaps', undefined, store.resourceVersion)!;
  t.same([now.countAfter('a-b/x'), now.countAfter('default/a'), now.countAfter('default/c')], [2, 1, 0], 'and now');
  t.same(names(store.listAt('/configmaps', 'default', store.resourceVersion)), ['default/a:5', 'default/c:4']);
  t.same(
    [...store.listAt('/configmaps', 'default', Number(at))!.from('b')].map((o) => o.metadata.name),
    ['b'],
    'within a namespace a key is the name',
  );
  store.compact(4);
  t.equal(store.listAt('/configmaps', 'default', Number(at)), undefined, 'compacted');
  t.same(
    names(store.listAt('/configmaps', 'default', 4)),
    ['default/a:3', 'default/b:1', 'default/c:4'],
    'the compaction revision itself stays readable',
  );
});

t.test("a resource's listeners hear its writes in order, as a Subject's subscribers would", async (t) => {
  const store = new Store();
  const heard: string[] = [];
  let late: (() => void) | undefined;
  const removeSecond = store.onWrite('/configmaps', (e) => {
    heard.push(`second ${e.object.metadata.name}`);
  });
  store.onWrite('/configmaps', (e) => {
    heard.push(`first ${e.object.metadata.name}`);
    // Added while a write is delivered: hears the next write, not this one.
    late ??= store.onWrite('/configmaps', (later) => heard.push(`late ${later.object.metadata.name}`));
    removeSecond();
  });
  store.onWrite('/secrets', (e) => heard.push(`secret ${e.object.metadata.name}`));
  store.put('/configmaps', cm('a'));
  store.put('/configmaps', cm('b'));
  t.same(heard, ['second a', 'first a', 'first b', 'late b'], 'a listener removed during a delivery hears nothing more');
  late!();
});

t.test('a listener that throws keeps neither the writer nor the other listeners from going on; rxjs reports its error', async (t) => {
  const reported: unknown[] = [];
  const before = config.onUnhandledError;
  config.onUnhandledError = (err) => reported.push(err);
  t.teardown(() => void (config.onUnhandledError = before));
  const store = new Store();
  const heard: string[] = [];
  store.onWrite('/configmaps', () => {
    throw new Error('listener bug');
  });
  store.onWrite('/configmaps', (e) => heard.push(e.object.metadata.name!));
  store.events.subscribe(() => heard.push('every write'));
  t.equal(store.put('/configmaps', cm('a')).metadata.resourceVersion, '1');
  t.same(heard, ['every write', 'a']);
  t.same(reported, [], 'reported after the write, not inside it');
  await Promise.resolve();
  t.match(reported, [{ message: 'listener bug' }]);
});

t.test("a failed commit undoes the open batch too, and the backend never sends that batch's writes", async (t) => {
  // A backend that answers each commit when told, as etcd does, and records the writes each commit sent.
  let open: string[] = [];
  const sent: string[][] = [];
  const answers: { resolve: (revisions: number[]) => void; reject: (error: Error) => void }[] = [];
  const backend: StorageBackend = {
    load: () => ({ revision: 0, compactedRevision: 0, objects: [], history: [] }),
    write: (event) => void open.push(event.object.metadata.name!),
    commit: () => {
      sent.push(open);
      open = [];
      return new Promise<number[]>((resolve, reject) => answers.push({ resolve, reject }));
    },
    discard: () => {
      open = [];
    },
    compact: () => undefined,
    close: () => undefined,
  };
  const store = new Store(fixedHistory(100), undefined, backend);
  const first = t.rejects(store.written(store.put('/configmaps', cm('a'))), /refused/);
  await new Promise(setImmediate);
  // A write of the next turn, made on top of the first, is in the open batch when the first commit fails.
  const onTop = t.rejects(store.written(store.put('/configmaps', cm('b'))), /refused/);
  answers[0].reject(new Error('refused'));
  await Promise.all([first, onTop]);
  t.equal(store.get('/configmaps', 'default', 'b'), undefined, 'the open batch is undone in memory');
  const later = store.put('/configmaps', cm('c'));
  await new Promise(setImmediate);
  t.same(sent, [['a'], ['c']], 'and its writes are not sent with the next batch');
  answers[1].resolve([1]);
  t.equal((await store.written(later)).metadata.name, 'c');
});

t.test(
  'a write the storage refused for a conflict is told so; the writes undone only because they came after it are told aborted',
  async (t) => {
    const answers: ((error: Error) => void)[] = [];
    const backend: StorageBackend = {
      load: () => ({ revision: 0, compactedRevision: 0, objects: [], history: [] }),
      write: () => undefined,
      commit: () => new Promise<number[]>((_, reject) => answers.push(reject)),
      discard: () => undefined,
      compact: () => undefined,
      close: () => undefined,
    };
    const store = new Store(fixedHistory(100), undefined, backend);
    const reasonOf = (object: KubeObject) =>
      store.written(object).then(
        () => 'stored',
        (error: StorageError) => error.reason,
      );
    const batch = [reasonOf(store.put('/configmaps', cm('a'))), reasonOf(store.put('/configmaps', cm('b')))];
    await new Promise(setImmediate);
    const next = reasonOf(store.put('/configmaps', cm('c')));
    await new Promise(setImmediate);
    answers[0](new CommitFailure('etcd: a changed', 0, 'conflict', 7));
    t.same(await Promise.all([...batch, next]), ['conflict', 'aborted', 'aborted']);
  },
);

t.test("a write computed from an undone version is refused, though another server's write got its resourceVersion", async (t) => {
  // etcd under several API servers: the store guesses each write's revision, etcd gives the real one on commit.
  let answer: { resolve: (revisions: number[]) => void; reject: (error: Error) => void } | undefined;
  let applyStorageWrites: (writes: RemoteWrite[]) => void = () => undefined;
  const backend: StorageBackend = {
    load: () => ({
      revision: 5,
      compactedRevision: 0,
      objects: [{ key, object: { ...cm('a'), metadata: { ...cm('a').metadata, resourceVersion: '5' } } }],
      history: [],
    }),
    write: () => undefined,
    commit: () => new Promise<number[]>((resolve, reject) => (answer = { resolve, reject })),
    discard: () => undefined,
    compact: () => undefined,
    close: () => undefined,
    onRemoteWrites: (apply) => (applyStorageWrites = apply),
  };
  const key = { storageKey: '/configmaps', namespace: 'default', name: 'a' };
  const store = new Store(fixedHistory(100), undefined, backend);
  const before = store.get('/configmaps', 'default', 'a')!;
  const mine = store.put('/configmaps', cm('a', 'default', { mine: 'yes' }), { basis: before });
  t.equal(mine.metadata.resourceVersion, '6', 'a provisional resourceVersion, readable before the commit answers');
  const undone = t.rejects(store.written(mine));
  await new Promise(setImmediate);
  // Another API server wrote the object first, at revision 6: etcd refuses this server's write, and its watch reports the other one.
  answer!.reject(new CommitFailure('etcd: the key changed', 0, 'conflict', 6));
  applyStorageWrites([{ key, object: cm('a', 'default', { theirs: 'yes' }), revision: 6 }]);
  await undone;
  const theirs = store.get('/configmaps', 'default', 'a')!;
  t.same([theirs.data, theirs.metadata.resourceVersion], [{ theirs: 'yes' }, '6'], 'the same resourceVersion names another version now');
  t.throws(() => store.put('/configmaps', cm('a', 'default', { mine: 'yes', more: 'yes' }), { basis: mine }), OutdatedWrite);
  t.throws(() => store.remove('/configmaps', 'default', 'a', mine), OutdatedWrite);
  t.equal(store.get('/configmaps', 'default', 'a'), theirs, "the other server's write stays");
  t.ok(
    store.put('/configmaps', cm('a', 'default', { theirs: 'yes', more: 'yes' }), { basis: theirs }),
    'a write computed from it goes through',
  );
});
