import t from 'tap';
import type { KubeObject } from '../../../src/api/types.js';
import { VirtualClock } from '../../../src/runtime/clock.js';
import { EventRecorder } from '../../../src/runtime/events.js';
import { deepFreeze } from '../../../src/runtime/deep-freeze.js';
import { FakeClient } from './fake-client.js';

const EVENT = { apiVersion: 'v1', kind: 'Event' } as const;
const START = Date.UTC(2026, 10, 24, 16, 0, 0);
const vmi: KubeObject = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { namespace: 'default', name: 'testvmi', uid: 'u-1', resourceVersion: '42' },
};
const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node01', uid: 'u-node', resourceVersion: '7' } };

async function events(client: FakeClient): Promise<KubeObject[]> {
  return (await client.list(EVENT)).items;
}

t.test('writes a core/v1 Event the way client-go does', async (t) => {
  const clock = new VirtualClock(START);
  const client = new FakeClient();
  const recorder = new EventRecorder(client, clock, { component: 'virt-handler', host: 'node01' });
  await recorder.event(vmi, 'Normal', 'Started', 'VirtualMachineInstance started.');
  const [event] = await events(client);
  t.match(event, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { namespace: 'default', name: `testvmi.${(BigInt(START) * 1_000_000n).toString(16)}` },
    involvedObject: {
      kind: 'VirtualMachineInstance',
      namespace: 'default',
      name: 'testvmi',
      uid: 'u-1',
      apiVersion: 'kubevirt.io/v1',
      resourceVersion: '42',
    },
    reason: 'Started',
    message: 'VirtualMachineInstance started.',
    source: { component: 'virt-handler', host: 'node01' },
    firstTimestamp: '2026-11-24T16:00:00Z',
    lastTimestamp: '2026-11-24T16:00:00Z',
    count: 1,
    type: 'Normal',
    reportingComponent: 'virt-handler',
    reportingInstance: 'node01',
  });
  t.equal(event.eventTime, null, 'served as null, as the zero MicroTime of client-go Events');
});

t.test('events about cluster-scoped objects go to the default namespace', async (t) => {
  const client = new FakeClient();
  const recorder = new EventRecorder(client, new VirtualClock(START), { component: 'node-controller' });
  await recorder.event(node, 'Normal', 'RegisteredNode', 'Node node01 event: Registered Node node01 in Controller');
  const [event] = await events(client);
  t.equal(event.metadata.namespace, 'default');
  t.notOk('namespace' in (event.involvedObject as object));
  t.same(event.source, { component: 'node-controller' });
  t.equal(event.reportingInstance, '');
});

t.test('a repeated event increments count and lastTimestamp of the same Event', async (t) => {
  const clock = new VirtualClock(START);
  const client = new FakeClient();
  const recorder = new EventRecorder(client, clock, { component: 'virt-controller' });
  await recorder.event(vmi, 'Warning', 'FailedCreate', 'Error creating pod: quota');
  await clock.advance(30_000);
  await recorder.event(vmi, 'Warning', 'FailedCreate', 'Error creating pod: quota');
  await clock.advance(30_000);
  await recorder.event(vmi, 'Warning', 'FailedCreate', 'Error creating pod: quota');
  const all = await events(client);
  t.equal(all.length, 1);
  t.match(all[0], { count: 3, firstTimestamp: '2026-11-24T16:00:00Z', lastTimestamp: '2026-11-24T16:01:00Z' });
  t.same(client.calls.filter((c) => c.startsWith('patch')).length, 2);
});

t.test('a different reason, message, type or object makes a new Event, with unique names in one instant', async (t) => {
  const client = new FakeClient();
  const recorder = new EventRecorder(client, new VirtualClock(START), { component: 'virt-controller' });
  await Promise.all([
    recorder.event(vmi, 'Normal', 'A', 'm'),
    recorder.event(vmi, 'Normal', 'B', 'm'),
    recorder.event(vmi, 'Normal', 'A', 'other'),
    recorder.event(vmi, 'Warning', 'A', 'm'),
    recorder.event({ ...vmi, metadata: { ...vmi.metadata, name: 'other' } }, 'Normal', 'A', 'm'),
    recorder.event(vmi, 'Normal', 'A', 'm'),
  ]);
  const all = await events(client);
  t.equal(all.length, 5);
  t.equal(new Set(all.map((e) => e.metadata.name)).size, 5);
  t.equal(
    all.find((e) => e.reason === 'A' && e.message === 'm' && e.type === 'Normal' && e.metadata.name?.startsWith('testvmi.'))?.count,
    2,
  );
});

t.test('when the counted Event is gone it is created again under its name with the count reached; failures are logged', async (t) => {
  const clock = new VirtualClock(START);
  const client = new FakeClient();
  const errors: string[] = [];
  const recorder = new EventRecorder(client, clock, { component: 'c' }, { info: () => {}, error: (m) => errors.push(m) });
  await recorder.event(vmi, 'Normal', 'R', 'm');
  const [first] = await events(client);
  await client.delete(EVENT, 'default', first.metadata.name ?? '');
  await clock.advance(1);
  await recorder.event(vmi, 'Normal', 'R', 'm');
  const [second] = await events(client);
  t.equal(second.metadata.name, first.metadata.name);
  t.equal(second.count, 2);
  t.equal(second.firstTimestamp, first.firstTimestamp);

  client.create = async () => {
    throw new Error('apiserver down');
  };
  await recorder.event(vmi, 'Normal', 'Other', 'm');
  t.match(errors, [/unable to write event Normal Other for VirtualMachineInstance default\/testvmi/]);
});

t.test('ten similar events about one object become one combined Event, then only its count grows', async (t) => {
  const clock = new VirtualClock(START);
  const client = new FakeClient();
  const recorder = new EventRecorder(client, clock, { component: 'virt-handler', host: 'node01' });
  for (let i = 0; i < 15; i++) {
    await clock.advance(1_000);
    await recorder.event(vmi, 'Warning', 'SyncFailed', `server error ${i}`);
  }
  const all = await events(client);
  t.equal(all.length, 10, 'nine events as they are, then the combined one');
  const combined = all.filter((e) => String(e.message).startsWith('(combined from similar events): '));
  t.equal(combined.length, 1);
  t.match(combined[0], { count: 6, message: '(combined from similar events): server error 14', reason: 'SyncFailed', type: 'Warning' });
});

t.test('a source writes at most 25 events about one object in a burst', async (t) => {
  const client = new FakeClient();
  const recorder = new EventRecorder(client, new VirtualClock(START), { component: 'kubelet', host: 'node01' });
  for (let i = 0; i < 30; i++) await recorder.event(vmi, 'Normal', `Reason${i}`, 'm');
  t.equal((await events(client)).length, 25);
});

t.test(
  'Events about one stored (frozen) version of an object share one frozen reference; a mutable object gets a new one each time',
  async (t) => {
    const client = new FakeClient();
    const recorder = new EventRecorder(client, new VirtualClock(START), { component: 'kubelet', host: 'node01' });
    const stored = deepFreeze(structuredClone(vmi));
    await recorder.event(stored, 'Normal', 'Created', 'Created container: compute');
    await recorder.event(stored, 'Normal', 'Started', 'Started container compute');
    const mutable = structuredClone(vmi);
    await recorder.event(mutable, 'Normal', 'Pulled', 'Container image "a" already present on machine');
    mutable.metadata.resourceVersion = '43';
    await recorder.event(mutable, 'Normal', 'Pulling', 'Pulling image "b"');
    const [created, started, pulled, pulling] = await events(client);
    t.equal(started.involvedObject, created.involvedObject);
    t.ok(Object.isFrozen(created.involvedObject));
    t.not(pulled.involvedObject, created.involvedObject);
    t.equal((pulling.involvedObject as { resourceVersion: string }).resourceVersion, '43', 'the mutable object is read again');
  },
);

t.test('one message about two containers of a pod is two Events, each naming its container; a repeat of one counts', async (t) => {
  const client = new FakeClient();
  const recorder = new EventRecorder(client, new VirtualClock(START), { component: 'kubelet', host: 'node01' });
  const stored = deepFreeze(structuredClone(vmi));
  const message = 'Container image "a" already present on machine';
  await recorder.event(stored, 'Normal', 'Pulled', message, 'spec.initContainers{setup}');
  await recorder.event(stored, 'Normal', 'Pulled', message, 'spec.containers{compute}');
  await recorder.event(stored, 'Normal', 'Pulled', message, 'spec.containers{compute}');
  await recorder.event(stored, 'Normal', 'Created', 'Created container: compute', 'spec.containers{compute}');
  const [setup, compute, created] = await events(client);
  t.match(setup, { count: 1, involvedObject: { name: 'testvmi', uid: 'u-1', fieldPath: 'spec.initContainers{setup}' } });
  t.match(compute, { count: 2, involvedObject: { name: 'testvmi', uid: 'u-1', fieldPath: 'spec.containers{compute}' } });
  t.equal(created.involvedObject, compute.involvedObject, 'one frozen reference per object version and fieldPath');
  t.not(setup.involvedObject, compute.involvedObject);
});
