import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startEmulator, type RunningEmulator } from '../../../../src/emulator.js';
import type { VirtualClock } from '../../../../src/runtime/clock.js';
import type { KubeObject } from '../../../../src/api/types.js';
import type { Node, Pod, PodDisruptionBudget } from '../../../../src/cluster/scheduling/objects.js';
import type { TeardownHost } from '../../../helpers/cluster.js';

const POD = { apiVersion: 'v1', kind: 'Pod' };
const EVENT = { apiVersion: 'v1', kind: 'Event' };
const LABEL = 'scheduling-test';

async function emulator(t: TeardownHost): Promise<RunningEmulator & { clock: VirtualClock }> {
  const dir = await mkdtemp(join(tmpdir(), 'scheduling-test-'));
  const running = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    clock: 'virtual',
    workers: 0,
  });
  t.teardown(async () => {
    await running.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return running as RunningEmulator & { clock: VirtualClock };
}

/** Advances virtual time in small steps until `done` holds. */
async function until(clock: VirtualClock, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await done()) return;
    await clock.advance(50);
  }
  throw new Error('condition not reached');
}

const testNode = (name: string, labels: Record<string, string> = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, [LABEL]: 'yes', ...labels } },
  spec: {},
  status: {
    allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    capacity: { cpu: '4', memory: '8Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
});

const testPod = (name: string, spec: Partial<NonNullable<Pod['spec']>> = {}, labels: Record<string, string> = { app: 'web' }): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { nodeSelector: { [LABEL]: 'yes' }, containers: [{ name: 'c', image: 'nginx' }], ...spec },
});

const getPod = (em: RunningEmulator, name: string) => em.client.get<Pod>(POD, 'default', name);
const eventsOf = async (em: RunningEmulator, name: string) =>
  (
    await em.client.list<KubeObject & { reason?: string; message?: string; source?: { component?: string } }>(EVENT, {
      namespace: 'default',
    })
  ).items.filter((e) => (e.involvedObject as { name?: string }).name === name);

async function post(em: RunningEmulator, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${em.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${em.adminToken}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

t.test('pending pods are bound, spread over the nodes, with a Scheduled event', async (t) => {
  const em = await emulator(t);
  for (const name of ['sched-a', 'sched-b']) await em.client.create(testNode(name));
  const names = ['web-1', 'web-2', 'web-3', 'web-4'];
  for (const name of names) await em.client.create(testPod(name));
  await until(em.clock, async () => (await Promise.all(names.map((n) => getPod(em, n)))).every((p) => p.spec?.nodeName));
  const pods = await Promise.all(names.map((n) => getPod(em, n)));
  const perNode: Record<string, number> = {};
  for (const p of pods) perNode[p.spec!.nodeName!] = (perNode[p.spec!.nodeName!] ?? 0) + 1;
  t.same(perNode, { 'sched-a': 2, 'sched-b': 2 });
  t.match(
    pods[0].status?.conditions?.find((c) => c.type === 'PodScheduled'),
    { status: 'True' },
  );
  // The kubelet's own events (Pulling, Started, ...) may already be there too, in name order: look at the scheduler's.
  const scheduled = async () => (await eventsOf(em, 'web-1')).filter((e) => e.reason === 'Scheduled');
  await until(em.clock, async () => (await scheduled()).length > 0);
  t.match(await scheduled(), [
    {
      type: 'Normal',
      reason: 'Scheduled',
      message: `Successfully assigned default/web-1 to ${pods[0].spec!.nodeName}`,
      source: { component: 'default-scheduler' },
    },
  ]);
});

t.test('an unschedulable pod says why, and is retried when a node changes', async (t) => {
  const em = await emulator(t);
  await em.client.create(testNode('sched-a'));
  await em.client.create(testPod('picky', { nodeSelector: { [LABEL]: 'yes', disk: 'ssd' } }));
  await until(em.clock, async () => (await getPod(em, 'picky')).status?.conditions?.some((c) => c.type === 'PodScheduled') ?? false);
  const condition = (await getPod(em, 'picky')).status?.conditions?.find((c) => c.type === 'PodScheduled');
  t.match(condition, {
    status: 'False',
    reason: 'Unschedulable',
    message:
      /^0\/\d+ nodes are available: .*node\(s\) didn't match Pod's node affinity\/selector[.,].* preemption: 0\/\d+ nodes are available: \d+ Preemption is not helpful for scheduling\.$/,
  });
  await until(em.clock, async () => (await eventsOf(em, 'picky')).some((e) => e.reason === 'FailedScheduling'));
  t.match(
    (await eventsOf(em, 'picky')).find((e) => e.reason === 'FailedScheduling'),
    { type: 'Warning', message: condition!.message },
  );

  await em.client.patch({ apiVersion: 'v1', kind: 'Node' }, undefined, 'sched-a', 'merge', { metadata: { labels: { disk: 'ssd' } } });
  await until(em.clock, async () => (await getPod(em, 'picky')).spec?.nodeName === 'sched-a');
  t.match(
    (await getPod(em, 'picky')).status?.conditions?.find((c) => c.type === 'PodScheduled'),
    { status: 'True' },
  );
});

t.test('pods/binding binds once and answers 409 after', async (t) => {
  const em = await emulator(t);
  await em.client.create(testPod('manual', { schedulerName: 'my-scheduler' }));
  const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'manual' }, target: { kind: 'Node', name: 'elsewhere' } };
  const first = await post(em, '/api/v1/namespaces/default/pods/manual/binding', binding);
  t.equal(first.status, 201);
  t.equal((await getPod(em, 'manual')).spec?.nodeName, 'elsewhere');
  const second = await post(em, '/api/v1/namespaces/default/pods/manual/binding', binding);
  t.equal(second.status, 409);
  t.equal(
    second.body.message,
    'Operation cannot be fulfilled on pods/binding "manual": pod manual is already assigned to node "elsewhere"',
  );
  const missing = await post(em, '/api/v1/namespaces/default/pods/nobody/binding', { ...binding, metadata: { name: 'nobody' } });
  t.equal(missing.status, 404);
});

t.test('evictions respect the PodDisruptionBudget the disruption controller keeps', async (t) => {
  const em = await emulator(t);
  await em.client.create(testNode('sched-a'));
  for (const name of ['db-1', 'db-2']) {
    await em.client.create(testPod(name, {}, { app: 'db' }));
  }
  await until(em.clock, async () => (await Promise.all(['db-1', 'db-2'].map((n) => getPod(em, n)))).every((p) => p.spec?.nodeName));
  for (const name of ['db-1', 'db-2']) {
    // What a kubelet would report: the pods run and are ready.
    const pod = await getPod(em, name);
    await em.client.update(
      {
        ...pod,
        status: { ...pod.status, phase: 'Running', conditions: [...(pod.status?.conditions ?? []), { type: 'Ready', status: 'True' }] },
      },
      { subresource: 'status' },
    );
  }
  await em.client.create<PodDisruptionBudget>({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'db', namespace: 'default' },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } },
  });
  const pdb = () => em.client.get<PodDisruptionBudget>({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' }, 'default', 'db');
  await until(em.clock, async () => (await pdb()).status?.disruptionsAllowed === 1);
  t.match((await pdb()).status, {
    currentHealthy: 2,
    desiredHealthy: 1,
    expectedPods: 2,
    observedGeneration: 1,
    conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }],
  });

  const evict = (name: string) =>
    post(em, `/api/v1/namespaces/default/pods/${name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace: 'default' },
    });
  const first = await evict('db-1');
  t.equal(first.status, 201);
  // With the instant profile the kubelet may already have finished the pod's termination.
  const evicted = await getPod(em, 'db-1').catch(() => undefined);
  if (evicted) {
    t.ok(evicted.metadata.deletionTimestamp, 'the evicted pod is terminating');
    t.match(
      evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget'),
      { status: 'True', reason: 'EvictionByEvictionAPI' },
    );
  }
  const second = await evict('db-2');
  t.equal(second.status, 429);
  t.match(second.body, {
    reason: 'TooManyRequests',
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget db needs 1 healthy pods and has 1 currently' }] },
  });
  t.equal((await evict('nobody')).status, 404);
});
