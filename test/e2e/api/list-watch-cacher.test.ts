// Lists and watches as kube-apiserver's cacher and etcd storage answer them: continue tokens (validated, expiring with
// compaction), resourceVersions the server has not reached, watch timeouts of any length, and bookmarks.
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { getJson, WatchStream } from '../../helpers/raw-http.js';
import type { VirtualClock } from '../../../src/runtime/clock.js';

const cms = '/api/v1/namespaces/default/configmaps';
const configMap = (name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', labels: { test: 'paging' } },
  data: { a: name },
});
/** The test's own ConfigMaps, not the root CA one every namespace has. */
const ours = 'labelSelector=test%3Dpaging';
const token = (content: unknown) => Buffer.from(JSON.stringify(content)).toString('base64url');

interface StatusBody {
  kind: string;
  code: number;
  reason: string;
  message: string;
  metadata: { continue?: string; resourceVersion?: string };
  details?: { causes?: { reason: string; message: string }[]; retryAfterSeconds?: number };
  items?: { metadata: { name: string } }[];
}

/**
 * The tests on the real clock share one emulator: each writes ConfigMaps of its own names and reads the pages,
 * revisions and refusals of its own requests. Those on the virtual clock move time and compact, so have their own.
 */
let shared: EmulatorFixture;
t.before(async () => {
  shared = await withEmulator(t, { insecureHttp: true });
});

t.test('continue tokens are checked as kube-apiserver checks them', async (t) => {
  const { emulator, kubectl } = shared;
  for (const name of ['a', 'b', 'c']) await emulator.client.create(configMap(name));

  const first = await getJson<StatusBody>(`${emulator.url}${cms}?limit=1`);
  t.equal(first.status, 200);
  const decoded = JSON.parse(Buffer.from(first.body.metadata.continue!, 'base64url').toString());
  t.same(decoded, { v: 'meta.k8s.io/v1', rv: Number(first.body.metadata.resourceVersion), start: 'a\u0000' }, "kube's token encoding");
  const second = await getJson<StatusBody>(`${emulator.url}${cms}?limit=1&continue=${first.body.metadata.continue}`);
  t.same(
    second.body.items!.map((i) => i.metadata.name),
    ['b'],
  );
  t.equal(second.body.metadata.resourceVersion, first.body.metadata.resourceVersion, "later pages are read at the first page's revision");

  const refused: [string, string][] = [
    ['not base64!', 'invalid continue token: continue key is not valid: illegal base64 data at input byte 3'],
    [
      token({ v: 'evil.example.com/v1', rv: 5, start: 'a' }),
      'invalid continue token: continue key is not valid: server does not recognize this encoded version evil.example.com/v1',
    ],
    [
      token({ v: 'meta.k8s.io/v1', rv: 0, start: 'a' }),
      'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    ],
    [
      token({ v: 'meta.k8s.io/v1', rv: 5, start: '' }),
      'invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)',
    ],
    [
      token({ v: 'meta.k8s.io/v1', rv: 5, start: '../kube-system/x' }),
      'invalid continue token: continue key is not valid: ../kube-system/x',
    ],
    [
      token({ v: 'meta.k8s.io/v1', rv: '5', start: 'a' }),
      'invalid continue token: continue key is not valid: json: cannot unmarshal string into Go struct field continueToken.rv of type int64',
    ],
    [
      token([1]),
      'invalid continue token: continue key is not valid: json: cannot unmarshal array into Go value of type storage.continueToken',
    ],
  ];
  for (const [forged, message] of refused) {
    const answer = await getJson<StatusBody>(`${emulator.url}${cms}?limit=1&continue=${encodeURIComponent(forged)}`);
    t.equal(answer.status, 400, message);
    t.match(answer.body, { kind: 'Status', code: 400, reason: 'BadRequest', message });
  }
  const withVersion = await getJson<StatusBody>(`${emulator.url}${cms}?limit=1&resourceVersion=1&continue=${first.body.metadata.continue}`);
  t.match(withVersion.body, { code: 400, reason: 'BadRequest', message: 'specifying resource version is not allowed when using continue' });

  const viaKubectl = await kubectl(['get', '--raw', `${cms}?limit=1&continue=${token({ v: 'meta.k8s.io/v1', rv: 0, start: 'a' })}`]);
  t.not(viaKubectl.code, 0);
  t.match(
    viaKubectl.stderr,
    'Error from server (BadRequest): invalid continue token: continue key is not valid: incorrect encoded start resourceVersion',
  );
});

t.test('a continue token outlives writes until etcd compaction, then answers 410 with a token to go on', async (t) => {
  const { emulator } = await withEmulator(t, { insecureHttp: true, clock: 'virtual' });
  const clock = emulator.clock as VirtualClock;
  for (const name of ['a', 'b', 'c']) await emulator.client.create(configMap(name));
  const first = await getJson<StatusBody>(`${emulator.url}${cms}?${ours}&limit=1`);
  await emulator.client.create(configMap('b2'));
  await emulator.client.delete({ apiVersion: 'v1', kind: 'ConfigMap' }, 'default', 'c');

  const consistent = await getJson<StatusBody>(`${emulator.url}${cms}?${ours}&limit=5&continue=${first.body.metadata.continue}`);
  t.same(
    consistent.body.items!.map((i) => i.metadata.name),
    ['b', 'c'],
    "the rest as it was at the first page's revision",
  );

  // kube-apiserver compacts every 5 minutes up to what it saw at the run before: 10 minutes on, the revision is gone.
  await clock.advance(5 * 60_000);
  await emulator.client.create(configMap('d'));
  await clock.advance(5 * 60_000);
  const expired = await getJson<StatusBody>(`${emulator.url}${cms}?${ours}&limit=5&continue=${first.body.metadata.continue}`);
  t.equal(expired.status, 410);
  t.match(expired.body, {
    kind: 'Status',
    code: 410,
    reason: 'Expired',
    message:
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, ' +
      'or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an ' +
      'inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  });
  t.same(JSON.parse(Buffer.from(expired.body.metadata.continue!, 'base64url').toString()), {
    v: 'meta.k8s.io/v1',
    rv: -1,
    start: 'a\u0000',
  });
  const resumed = await getJson<StatusBody>(`${emulator.url}${cms}?${ours}&limit=5&continue=${expired.body.metadata.continue}`);
  t.equal(resumed.status, 200);
  t.same(
    resumed.body.items!.map((i) => i.metadata.name),
    ['b', 'b2', 'd'],
    'the rest as it is now',
  );

  const exact = await getJson<StatusBody>(`${emulator.url}${cms}?${ours}&limit=1&resourceVersion=${first.body.metadata.resourceVersion}`);
  t.match(exact.body, { code: 410, reason: 'Expired', message: 'The resourceVersion for the provided list is too old.' });
});

t.test('a resourceVersion the server has not reached', async (t) => {
  const { emulator } = shared;
  const created = await emulator.client.create(configMap('x'));
  const ahead = Number(created.metadata.resourceVersion) + 100_000;
  const tooLarge = (current: number, retryAfterSeconds?: number) => ({
    kind: 'Status',
    code: 504,
    reason: 'Timeout',
    message: new RegExp(`^Timeout: Too large resource version: ${ahead}, current: ${current}$`),
    details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds },
  });

  // Served from the watch cache: it waits 3 s for the revision, then asks the client to retry in 1 s.
  const started = Date.now();
  const list = await getJson<StatusBody>(`${emulator.url}${cms}?resourceVersion=${ahead}`);
  t.ok(Date.now() - started >= 2_900, 'the watch cache waited about 3 s');
  t.equal(list.status, 504);
  t.match(list.body, tooLarge(Number(list.body.message.split('current: ')[1]), 1));
  t.equal(list.headers.get('retry-after'), '1');
  const get = await getJson<StatusBody>(`${emulator.url}${cms}/x?resourceVersion=${ahead}`);
  t.match(get.body, { code: 504, reason: 'Timeout', details: { retryAfterSeconds: 1 } }, 'a get at that resourceVersion too');

  // A limited list goes to etcd, which refuses at once and gives no retry hint.
  const limited = await getJson<StatusBody>(`${emulator.url}${cms}?limit=5&resourceVersion=${ahead}`);
  t.equal(limited.status, 504);
  t.notOk(limited.body.details?.retryAfterSeconds, 'no retryAfterSeconds from etcd');
  t.equal(limited.headers.get('retry-after'), null);

  // The cacher accepts a watch from a future resourceVersion: it starts once writes pass it, with nothing older.
  const from = Number(created.metadata.resourceVersion) + 3;
  const watch = await WatchStream.open(`${emulator.url}${cms}?watch=true&resourceVersion=${from}`);
  t.equal(watch.status, 200);
  for (let i = 0; i < 6; i++) await emulator.client.create(configMap(`later-${i}`));
  t.ok(await watch.until(() => watch.events.length > 0, 10_000), 'events once the revision is passed');
  t.ok(
    watch.events.every((e) => Number(e.object.metadata!.resourceVersion) > from),
    'none at or before the resourceVersion asked for',
  );
  watch.close();
});

t.test('watch timeouts of any length, bookmarks, and the history a watch resumes from, as the cacher keeps them', async (t) => {
  const { emulator } = await withEmulator(t, { insecureHttp: true, clock: 'virtual' });
  const clock = emulator.clock as VirtualClock;

  // Beyond 2^31-1 ms a Node timer would fire at once; the watch must stay open.
  const long = await WatchStream.open(`${emulator.url}${cms}?watch=true&timeoutSeconds=99999999999`);
  const plain = await WatchStream.open(`${emulator.url}${cms}?watch=true&timeoutSeconds=150`);
  const bookmarks = await WatchStream.open(`${emulator.url}${cms}?watch=true&timeoutSeconds=150&allowWatchBookmarks=true`);
  await emulator.client.create(configMap('seen'));
  t.ok(await long.until(() => long.events.length === 1, 10_000), 'a watch with a huge timeoutSeconds delivers');
  t.notOk(long.ended, 'and stays open');

  await clock.advance(60_000);
  t.ok(await bookmarks.until(() => bookmarks.events.some((e) => e.type === 'BOOKMARK'), 10_000), 'a bookmark after a minute');
  const bookmark = bookmarks.events.find((e) => e.type === 'BOOKMARK')!;
  t.match(bookmark.object, { kind: 'ConfigMap', metadata: { resourceVersion: /^\d+$/ } });
  await clock.advance(60_000);
  await clock.advance(28_000);
  t.ok(
    await bookmarks.until(() => bookmarks.events.filter((e) => e.type === 'BOOKMARK').length === 3, 10_000),
    'another a minute later, and one 2 s before the deadline',
  );
  await clock.advance(2_000);
  t.ok(await bookmarks.until(() => bookmarks.ended, 10_000), 'the watch ends at timeoutSeconds');
  t.ok(await plain.until(() => plain.ended, 10_000));
  t.notOk(
    plain.events.some((e) => e.type === 'BOOKMARK'),
    'no bookmarks unless allowed',
  );
  t.notOk(long.ended, 'the long watch is still open');
  long.close();

  // Each resource keeps its own history, as the cacher's watch cache: at least 100 events, more while they are under 75 s old.
  const quiet = await emulator.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'quiet', namespace: 'default' } });
  const quietRv = Number(quiet.metadata.resourceVersion);
  const busy: number[] = [];
  for (let i = 0; i < 100; i++) busy.push(Number((await emulator.client.create(configMap(`busy-${i}`))).metadata.resourceVersion));
  await clock.advance(76_000);
  await emulator.client.create(configMap('busy-last'));
  const gone = await WatchStream.open(`${emulator.url}${cms}?watch=true&resourceVersion=${quietRv}`);
  t.ok(await gone.until(() => gone.ended, 10_000), 'a watch from before the ConfigMaps history ends at once');
  t.same(gone.events, [
    {
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${quietRv} (${busy[1]! - 1})`,
        reason: 'Expired',
        code: 410,
      },
    },
  ]);
  const resumed = await WatchStream.open(`${emulator.url}${cms}?watch=true&resourceVersion=${busy[1]! - 1}`);
  t.ok(await resumed.until(() => resumed.events.length === 100, 10_000), 'the oldest resourceVersion it names still resumes');
  t.same(resumed.events[0]!.object.metadata!.name, 'busy-1');
  resumed.close();
  const secrets = await WatchStream.open(`${emulator.url}/api/v1/namespaces/default/secrets?watch=true&resourceVersion=${quietRv}`);
  await emulator.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'later', namespace: 'default' } });
  t.ok(await secrets.until(() => secrets.events.length === 1, 10_000), "the ConfigMaps' writes expire no other resource's history");
  t.equal(secrets.events[0]!.object.metadata!.name, 'later');
  secrets.close();
});

t.test(
  'list options are checked before anything is read, and watch-list is refused as by a server without the WatchList gate',
  async (t) => {
    const { emulator } = shared;
    const refused: [string, string, string][] = [
      [
        `${cms}?resourceVersionMatch=Exact`,
        'resourceVersionMatch',
        'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      ],
      [
        `${cms}?resourceVersion=1&resourceVersionMatch=Newest`,
        'resourceVersionMatch',
        'Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""',
      ],
      [
        `${cms}?resourceVersion=0&resourceVersionMatch=Exact`,
        'resourceVersionMatch',
        'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
      ],
      [
        `${cms}?watch=true&resourceVersionMatch=NotOlderThan`,
        'resourceVersionMatch',
        'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      ],
    ];
    for (const [path, field, message] of refused) {
      const answer = await getJson<StatusBody & { details: { kind: string; group: string; causes: { field: string; message: string }[] } }>(
        emulator.url + path,
      );
      t.equal(answer.status, 422, path);
      t.match(answer.body, {
        kind: 'Status',
        code: 422,
        reason: 'Invalid',
        message: `ListOptions.meta.k8s.io "" is invalid: ${field}: ${message}`,
      });
      t.match(answer.body.details, { kind: 'ListOptions', group: 'meta.k8s.io', causes: [{ field, message }] });
    }
    const watchList = await getJson<StatusBody>(
      `${emulator.url}${cms}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    );
    t.equal(watchList.status, 422);
    t.equal(
      watchList.body.message,
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
    );
  },
);
