// Events as a cluster keeps them, seen with kubectl: a repeated event is one Event with a count (client-go's
// correlator in every component), a kubelet Event names its container (fieldPath, so not a repeat of the same words
// about another one), and an Event goes one event TTL (kube-apiserver's --event-ttl, 1h) after its last write.
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { parseTable } from '../../helpers/kubectl.js';

/** An emulator on a virtual clock with one worker; `ok` runs kubectl and asserts it succeeded, `advance` moves the clock. */
async function virtualClockCluster(t: Tap.Test) {
  const { kubectl } = await withEmulator(t, { insecureHttp: true, clock: 'virtual', workers: 1 });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const result = await kubectl(args, { input });
    t.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const advance = (by: string) => ok(['create', '--raw', `/emulator/clock/advance?by=${by}`, '-f', '-'], '{}');
  /**
   * A watch read with `kubectl get --raw`, started now; `events()` moves the clock a minute at a time (ten at most)
   * until the server ends it, and answers what it saw (keep-alive newlines separate the events).
   */
  const rawWatch = <T>(path: string) => {
    let ended = false;
    const watch = kubectl(['get', '--raw', path], { timeoutMs: 120_000 }).finally(() => (ended = true));
    return {
      async events(): Promise<{ type: string; object: T }[]> {
        for (let i = 0; i < 10 && !ended; i++) await advance('1m');
        const result = await watch;
        t.equal(result.code, 0, result.stderr);
        return result.stdout
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as { type: string; object: T });
      },
    };
  };
  return { kubectl, ok, advance, rawWatch };
}

/** The least a client can create: kube-apiserver serves it back with the fields its Go type never omits. */
const BARE_EVENT = `apiVersion: v1
kind: Event
metadata:
  name: bare
  namespace: default
involvedObject:
  kind: Pod
  name: nowhere
  namespace: default
reason: Bare
`;

const EVENTS_V1_EVENT = `apiVersion: events.k8s.io/v1
kind: Event
metadata:
  name: new-api
  namespace: default
eventTime: "2026-11-24T16:00:00.000000Z"
reportingController: example.com/tester
reportingInstance: tester-1
action: Testing
reason: Tested
type: Normal
regarding:
  kind: Pod
  name: nowhere
  namespace: default
`;

const UNSCHEDULABLE_POD = `apiVersion: v1
kind: Pod
metadata:
  name: nowhere
  namespace: default
spec:
  nodeSelector:
    disktype: none
  containers:
  - name: nginx
    image: nginx:1.27
`;

interface EventList {
  items: Array<{ metadata: { name: string }; reason: string; count: number; involvedObject: { name: string }; eventTime?: unknown }>;
}

const TWIN_CONTAINERS_POD = `apiVersion: v1
kind: Pod
metadata:
  name: twins
  namespace: default
spec:
  containers:
  - name: first
    image: nginx:1.27
  - name: second
    image: nginx:1.27
`;

t.test('a repeated event is one Event with a count; it expires an hour after its last write', async (t) => {
  const { kubectl, ok, advance, rawWatch } = await virtualClockCluster(t);
  const failedScheduling = async () => {
    const list = JSON.parse(await ok(['get', 'events', '--field-selector', 'reason=FailedScheduling', '-o', 'json'])) as EventList;
    return list.items.filter((e) => e.involvedObject.name === 'nowhere');
  };

  await ok(['apply', '-f', '-'], UNSCHEDULABLE_POD);
  await advance('1s');
  // Each node change makes the scheduler try the pod again, and fail in the same words.
  for (const value of ['a', 'b', 'c']) {
    await ok(['label', 'node', 'kubevirt-emulator-worker', `attempt=${value}`, '--overwrite']);
    await advance('10s');
  }
  const events = await failedScheduling();
  t.equal(events.length, 1, 'one Event for the repeats');
  t.ok(events[0].count > 1, `count ${events[0].count} > 1`);

  const wide = parseTable(await ok(['get', 'events', '--field-selector', 'reason=FailedScheduling', '-o', 'wide']));
  const countColumn = wide.header.indexOf('COUNT');
  t.ok(countColumn > 0, `a COUNT column in ${wide.header.join(' ')}`);
  t.equal(wide.rows.length, 1);
  t.equal(Number(wide.rows[0][countColumn]), events[0].count);
  t.equal(events[0].eventTime, null, "a recorder's Event reads back with eventTime: null");

  // Fields without omitempty, and struct-typed ones (a zero time encodes as null), are always served.
  await ok(['create', '-f', '-'], BARE_EVENT);
  const bare = JSON.parse(await ok(['get', 'event', 'bare', '-o', 'json'])) as Record<string, unknown>;
  const { source, firstTimestamp, lastTimestamp, eventTime, reportingComponent, reportingInstance } = bare;
  t.strictSame(
    { source, firstTimestamp, lastTimestamp, eventTime, reportingComponent, reportingInstance },
    {
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: null,
      reportingComponent: '',
      reportingInstance: '',
    },
  );
  await ok(['create', '-f', '-'], EVENTS_V1_EVENT);
  const newApi = JSON.parse(await ok(['get', 'events.v1.events.k8s.io', 'new-api', '-o', 'json'])) as Record<string, unknown>;
  t.strictSame(
    [newApi.deprecatedSource, newApi.deprecatedFirstTimestamp, newApi.deprecatedLastTimestamp],
    [{}, null, null],
    'an events.k8s.io/v1 Event reads back with its deprecated struct fields',
  );

  // The kubelet's Events name their container (SUBOBJECT): the same words about two containers are two Events.
  await ok(['apply', '-f', '-'], TWIN_CONTAINERS_POD);
  await advance('30s');
  const pulled = parseTable(
    await ok([
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=twins,reason=Pulled',
      '-o',
      'wide',
      '--sort-by',
      '.involvedObject.fieldPath',
    ]),
  );
  const subobject = pulled.header.indexOf('SUBOBJECT');
  t.same(
    pulled.rows.map((row) => [row[subobject], row[countColumn]]),
    [
      ['spec.containers{first}', '1'],
      ['spec.containers{second}', '1'],
    ],
  );

  // Without the pod nothing writes the Event again; it lives one TTL after its last write.
  await ok(['delete', 'pod', 'nowhere', '--wait=false']);
  // A watch from now on, ended by the server after timeoutSeconds of cluster time, sees the expiry as a DELETED event.
  const listed = JSON.parse(await ok(['get', 'events', '-o', 'json'])) as { metadata: { resourceVersion: string } };
  const { resourceVersion } = listed.metadata;
  const watch = rawWatch<{ metadata: { name: string } }>(
    `/api/v1/namespaces/default/events?watch=1&resourceVersion=${resourceVersion}&timeoutSeconds=3700`,
  );
  await advance('59m');
  t.equal((await failedScheduling()).length, 1, 'still there before the TTL ran out');
  await advance('2m');
  t.same(await failedScheduling(), [], 'gone once the clock moved past the TTL');
  const get = await kubectl(['get', 'event', events[0].metadata.name]);
  t.not(get.code, 0);
  t.match(get.stderr, `Error from server (NotFound): events "${events[0].metadata.name}" not found`);

  const watched = await watch.events();
  t.ok(
    watched.some((e) => e.type === 'DELETED' && e.object.metadata.name === events[0].metadata.name),
    'the watch saw the expired Event DELETED',
  );
});

interface EventsV1 {
  metadata: { name: string; resourceVersion: string };
  note?: string;
  reason?: string;
  regarding: { kind?: string; name?: string };
  reportingController?: string;
  reportingInstance?: string;
  deprecatedSource: unknown;
  deprecatedCount?: number;
  deprecatedFirstTimestamp: unknown;
  deprecatedLastTimestamp: unknown;
  eventTime: unknown;
}

// kube-apiserver serves events.k8s.io/v1 from the core Event registry (etcd /registry/events), converting the fields.
t.test('core/v1 and events.k8s.io/v1 Events are one stored resource', async (t) => {
  const { kubectl, ok, advance, rawWatch } = await virtualClockCluster(t);

  // The scheduler's client-go core/v1 recorder writes FailedScheduling; events.k8s.io/v1 reads the same Event.
  await ok(['apply', '-f', '-'], UNSCHEDULABLE_POD);
  await advance('1s');
  const core = (JSON.parse(await ok(['get', 'events', '--field-selector', 'involvedObject.name=nowhere', '-o', 'json'])) as EventList)
    .items[0] as unknown as Record<string, unknown>;
  t.equal(core?.reason, 'FailedScheduling');
  const selected = JSON.parse(
    await ok(['get', 'events.v1.events.k8s.io', '--field-selector', 'regarding.name=nowhere,reason=FailedScheduling', '-o', 'json']),
  ) as { items: EventsV1[] };
  t.equal(selected.items.length, 1, 'the regarding.* labels select on the core involvedObject');
  const got = JSON.parse(
    await ok(['get', 'events.v1.events.k8s.io', String(core.metadata && (core.metadata as { name: string }).name), '-o', 'json']),
  ) as EventsV1 & Record<string, unknown>;
  t.strictSame(got, selected.items[0], 'get and list answer the same object');
  t.strictSame(
    {
      apiVersion: got.apiVersion,
      metadata: got.metadata,
      regarding: got.regarding,
      note: got.note,
      reason: got.reason,
      type: got.type,
      reportingController: got.reportingController,
      deprecatedSource: got.deprecatedSource,
      deprecatedFirstTimestamp: got.deprecatedFirstTimestamp,
      deprecatedLastTimestamp: got.deprecatedLastTimestamp,
      deprecatedCount: got.deprecatedCount,
      eventTime: got.eventTime,
    },
    {
      apiVersion: 'events.k8s.io/v1',
      metadata: core.metadata,
      regarding: core.involvedObject,
      note: core.message,
      reason: core.reason,
      type: core.type,
      reportingController: core.reportingComponent,
      deprecatedSource: core.source,
      deprecatedFirstTimestamp: core.firstTimestamp,
      deprecatedLastTimestamp: core.lastTimestamp,
      deprecatedCount: core.count,
      eventTime: null,
    },
    'the core fields under their events.k8s.io/v1 names, metadata (managedFields too) unchanged',
  );
  t.notOk('message' in got || 'involvedObject' in got || 'reportingComponent' in got, 'no core field names');

  const coreLabel = await kubectl(['get', 'events.v1.events.k8s.io', '--field-selector', 'involvedObject.name=nowhere']);
  t.not(coreLabel.code, 0);
  t.match(coreLabel.stderr, 'field label not supported: involvedObject.name');

  // A watch through events.k8s.io/v1 sees a core/v1 write, converted.
  const { resourceVersion } = (JSON.parse(await ok(['get', 'events.v1.events.k8s.io', '-o', 'json'])) as { metadata: EventsV1['metadata'] })
    .metadata;
  const watch = rawWatch<EventsV1 & { apiVersion: string }>(
    `/apis/events.k8s.io/v1/namespaces/default/events?watch=1&resourceVersion=${resourceVersion}&timeoutSeconds=60`,
  );
  await ok(['create', '-f', '-'], BARE_EVENT);
  const watched = await watch.events();
  const bare = watched.find((e) => e.type === 'ADDED' && e.object.metadata.name === 'bare');
  t.strictSame(
    bare && {
      apiVersion: bare.object.apiVersion,
      reason: bare.object.reason,
      regarding: bare.object.regarding,
      source: bare.object.deprecatedSource,
    },
    { apiVersion: 'events.k8s.io/v1', reason: 'Bare', regarding: { kind: 'Pod', name: 'nowhere', namespace: 'default' }, source: {} },
    'the watch saw the core/v1 create as an events.k8s.io/v1 Event',
  );

  // Validation goes by the request's version: the bare Event core/v1 took is no events.k8s.io/v1 Event.
  const incomplete = await kubectl(['create', '-f', '-'], {
    input: 'apiVersion: events.k8s.io/v1\nkind: Event\nmetadata:\n  name: incomplete\n  namespace: default\nreason: Bare\n',
  });
  t.not(incomplete.code, 0);
  t.match(
    incomplete.stderr,
    'The Event "incomplete" is invalid: \n* eventTime: Required value\n* type: Invalid value: "": has invalid value: ',
  );

  // An events.k8s.io/v1 create reads back through core/v1, kubectl get events included.
  await ok(['create', '-f', '-'], EVENTS_V1_EVENT);
  const asCore = JSON.parse(await ok(['get', 'event', 'new-api', '-o', 'json'])) as Record<string, unknown>;
  const { apiVersion, involvedObject, reason, type, action, reportingComponent, reportingInstance, eventTime, source, firstTimestamp } =
    asCore;
  t.strictSame(
    { apiVersion, involvedObject, reason, type, action, reportingComponent, reportingInstance, eventTime, source, firstTimestamp },
    {
      apiVersion: 'v1',
      involvedObject: { kind: 'Pod', name: 'nowhere', namespace: 'default' },
      reason: 'Tested',
      type: 'Normal',
      action: 'Testing',
      reportingComponent: 'example.com/tester',
      reportingInstance: 'tester-1',
      eventTime: '2026-11-24T16:00:00.000000Z',
      source: {},
      firstTimestamp: null,
    },
  );
  const table = parseTable(await ok(['get', 'events', '--field-selector', 'reason=Tested', '-o', 'wide']));
  t.same(
    table.rows.map((row) => [
      row[table.header.indexOf('REASON')],
      row[table.header.indexOf('OBJECT')],
      row[table.header.indexOf('SOURCE')],
    ]),
    [['Tested', 'pod/nowhere', 'example.com/tester, tester-1']],
  );
});
