import t from 'tap';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store, type StoreEvent } from '../../../src/storage/store.js';
import { fixedHistory } from '../../../src/storage/watch-history.js';
import type { SqliteBackend } from '../../../src/storage/sqlite-backend.js';
import { openStateFile, resetStateFile } from '../../../src/storage/state-file.js';
import type { KubeObject } from '../../../src/api/types.js';
import { VirtualClock } from '../../../src/runtime/clock.js';

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

t.test('a store on a state file comes back with every object, its resourceVersion, its lease and the history', async (t) => {
  const path = join(t.testdir(), 'state.db');
  const clock = new VirtualClock(0);
  const first = new Store(fixedHistory(100), clock, openStateFile(path));
  first.put('/configmaps', cm('a'));
  first.put('/configmaps', cm('a', { k: 'v' }));
  first.put('/configmaps', cm('gone'));
  first.remove('/configmaps', 'default', 'gone');
  first.put('/events', cm('e'), { ttlMs: 60_000 });
  await first.durable();
  t.equal(first.durable(), undefined, 'nothing left to wait for once the batch committed');
  first.close();
  t.equal(statSync(path).mode & 0o777, 0o600, 'the state file is owner-only');

  const second = new Store(fixedHistory(100), clock, openStateFile(path));
  t.equal(second.resourceVersion, 5, 'the revision counter carries on');
  t.same(second.get('/configmaps', 'default', 'a')?.metadata, { name: 'a', namespace: 'default', resourceVersion: '2' });
  t.same(second.get('/configmaps', 'default', 'a')?.data, { k: 'v' });
  t.ok(Object.isFrozen(second.get('/configmaps', 'default', 'a')), 'restored objects are frozen like written ones');
  t.equal(second.get('/configmaps', 'default', 'gone'), undefined);
  t.same(
    second.history.since('/configmaps', 1).map((e) => [e.type, e.resourceVersion, e.previous?.metadata.resourceVersion]),
    [
      ['MODIFIED', 2, '1'],
      ['ADDED', 3, undefined],
      ['DELETED', 4, '3'],
    ],
    'a watch from before the restart resumes from the stored history',
  );
  t.same(
    second.history.since('/events', 1).map((e) => e.resourceVersion),
    [5],
    'each resource from its own',
  );
  t.same(
    [...second.listAt('/configmaps', undefined, 1)!.from('')].map((o) => o.data),
    [{}],
    'a read at a past revision undoes later writes',
  );
  t.equal(second.put('/configmaps', cm('b')).metadata.resourceVersion, '6');
  await second.durable();
  await clock.advance(60_000);
  t.equal(second.get('/events', 'default', 'e'), undefined, 'the Event expired on its restored lease');
  await second.durable();
  second.close();
  const third = new Store(fixedHistory(100), clock, openStateFile(path));
  t.equal(third.resourceVersion, 7, 'the expiry went through the backend too');
  t.equal(third.count('/events'), 0);
  third.close();
});

t.test('a write is published only once its batch committed, all writes of one turn together', async (t) => {
  const path = join(t.testdir(), 'state.db');
  const store = new Store(fixedHistory(100), undefined, openStateFile(path));
  t.teardown(() => store.close());
  const events: StoreEvent[] = [];
  store.events.subscribe((e) => events.push(e));
  store.put('/configmaps', cm('a'));
  store.put('/configmaps', cm('b'));
  t.ok(store.get('/configmaps', 'default', 'a'), 'the writer reads its own write at once');
  t.equal(events.length, 0, 'watchers see nothing before the commit');
  await store.durable();
  t.same(
    events.map((e) => e.resourceVersion),
    [1, 2],
  );
});

t.test('a failed commit undoes the batch in memory and rejects its writers', async (t) => {
  const path = join(t.testdir(), 'state.db');
  const store = new Store(fixedHistory(100), undefined, openStateFile(path));
  t.teardown(() => store.close());
  store.put('/configmaps', cm('kept'));
  await store.durable();
  // A real SQLite error: the database may not grow beyond the pages it has, as on a full disk.
  const backend = (store as unknown as { backend: SqliteBackend }).backend;
  (backend as unknown as { db: Database.Database }).db.pragma('max_page_count = 1');
  const events: StoreEvent[] = [];
  store.events.subscribe((e) => events.push(e));
  let failure: unknown;
  try {
    for (let i = 0; i < 50; i++) store.put('/configmaps', cm(`big${i}`, { blob: 'x'.repeat(10_000) }));
  } catch (error) {
    failure = error;
  }
  failure ??= await store.durable()?.catch((error: unknown) => error);
  t.match(failure, { name: 'StorageError', message: /database or disk is full/ });
  t.same(
    store.list('/configmaps').map((o) => o.metadata.name),
    ['kept'],
    'no half-written object stays in memory',
  );
  t.equal(store.resourceVersion, 1, 'the undone revisions are handed out again');
  t.equal(events.length, 0, 'watchers never saw the undone writes');
});

t.test('files that are not this emulator state are refused and left untouched', async (t) => {
  const dir = t.testdir();
  const garbage = join(dir, 'garbage.db');
  writeFileSync(garbage, 'this is not a database, just some bytes'.repeat(200));
  const before = readFileSync(garbage);
  t.throws(() => openStateFile(garbage), { name: 'StateFileError', message: /is not a usable state file \(file is not a database\)/ });
  t.same(readFileSync(garbage), before, 'the file is not overwritten');

  const foreign = join(dir, 'foreign.db');
  const other = new Database(foreign);
  other.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)');
  other.close();
  const foreignBytes = readFileSync(foreign);
  t.throws(() => openStateFile(foreign), { name: 'StateFileError', message: /is an SQLite database of another program/ });
  const reopened = new Database(foreign, { readonly: true });
  t.same(reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all(), [{ name: 'photos' }]);
  reopened.close();
  t.same(readFileSync(foreign), foreignBytes, 'not a byte changed');
});

t.test('one emulator at a time: the state file is locked while open, and reset refuses then', async (t) => {
  const path = join(t.testdir(), 'state.db');
  const first = openStateFile(path);
  t.throws(() => openStateFile(path), { name: 'StateFileError', inUse: true, message: /is in use by another kubevirt-emulator/ });
  t.throws(() => resetStateFile(path), { inUse: true });
  first.close();
  const again = openStateFile(path);
  again.close();
  t.equal(resetStateFile(path), true);
  t.equal(resetStateFile(path), false, 'nothing left to reset');
});

t.test('compaction trims the stored history', async (t) => {
  const path = join(t.testdir(), 'state.db');
  const store = new Store(fixedHistory(3), undefined, openStateFile(path));
  for (let i = 0; i < 6; i++) store.put('/configmaps', cm(`c${i}`));
  await store.durable();
  store.compact(4);
  store.close();
  const count = new Database(path, { readonly: true });
  t.same(count.prepare('SELECT min(revision) AS oldest FROM history').get(), { oldest: 4 });
  count.close();
  const reopened = new Store(fixedHistory(3), undefined, openStateFile(path));
  t.equal(reopened.compactedRevision, 4);
  t.ok(reopened.history.covers('/configmaps', 3));
  t.notOk(reopened.history.covers('/configmaps', 2), 'events the ring lost before the restart stay lost');
  t.notOk(reopened.history.covers('/secrets', 2), 'for every resource');
  reopened.close();
});
