import t from 'tap';
import type { KubeObject, ResourceType } from '../../../../src/api/types.js';
import { PLACEHOLDER_CA_PEM } from '../../../../src/cluster/housekeeping/root-ca-publisher.js';
import { ServiceIpAllocator } from '../../../../src/cluster/services/service-ip-allocator.js';
import { markPodsReady, startHarness, UNSCHEDULABLE } from './harness.js';

const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const NODE = { apiVersion: 'v1', kind: 'Node' } as const;
const NS = { apiVersion: 'v1', kind: 'Namespace' } as const;

const template = (labels: Record<string, string>, extra: object = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
});

t.test('every namespace gets a default ServiceAccount and kube-root-ca.crt', async (t) => {
  const h = await startHarness(t);
  await h.client.create({ ...NS, metadata: { name: 'team' } });
  const cm = await h.eventually(() => h.get({ apiVersion: 'v1', kind: 'ConfigMap' }, 'team', 'kube-root-ca.crt'));
  t.same(cm.data, { 'ca.crt': PLACEHOLDER_CA_PEM });
  t.ok(await h.eventually(() => h.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'team', 'default')));
  await h.client.delete({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'team', 'default');
  t.ok(await h.eventually(() => h.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'team', 'default')), 'recreated');
});

t.test('a Job runs pods to completion and reports it', async (t) => {
  const h = await startHarness(t);
  const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
  await h.client.create({
    ...JOB,
    metadata: { name: 'pi', namespace: 'default' },
    spec: { completions: 2, parallelism: 1, template: template({ app: 'pi' }, { restartPolicy: 'Never', nodeSelector: UNSCHEDULABLE }) },
  });
  // Plays kubelet: each pod succeeds once it exists.
  const job = await h.eventually(async () => {
    for (const pod of await h.list(POD, 'default', 'job-name=pi')) {
      if ((pod.status as { phase?: string } | undefined)?.phase !== 'Succeeded')
        await h.client.update({ ...pod, status: { phase: 'Succeeded' } }, { subresource: 'status' });
    }
    const current = await h.get(JOB, 'default', 'pi');
    const conditions = (current?.status as { conditions?: Array<{ type: string }> } | undefined)?.conditions ?? [];
    return conditions.some((c) => c.type === 'Complete') ? current : undefined;
  });
  const status = job.status as Record<string, unknown>;
  t.equal(status.succeeded, 2);
  t.ok(status.startTime && status.completionTime);
  t.match(status.conditions, [
    { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached' },
    { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
  ]);
  t.equal((await h.list(POD, 'default', 'job-name=pi')).length, 2, 'one pod per completion at parallelism 1');
});

t.test('a DaemonSet puts one pinned, tolerant pod on each eligible node', async (t) => {
  const h = await startHarness(t);
  const DS = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
  const existing = new Set((await h.list(NODE)).map((n) => n.metadata.name));
  await h.client.create({ ...NODE, metadata: { name: 'ds-a', labels: { pool: 'ds' } } });
  await h.client.create({
    ...NODE,
    metadata: { name: 'ds-b', labels: { pool: 'ds' } },
    spec: { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] },
  });
  await h.client.create({
    ...DS,
    metadata: { name: 'agent', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: template({ app: 'agent' }, { nodeSelector: { pool: 'ds' } }) },
  });
  const pods = await h.eventually(async () => {
    const list = await h.list(POD, 'default', 'app=agent');
    return list.length === 1 ? list : undefined;
  });
  const spec = pods[0].spec as { affinity: unknown; tolerations: Array<{ key: string }> };
  t.same(spec.affinity, {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['ds-a'] }] }],
      },
    },
  });
  t.same(
    spec.tolerations.map((x) => x.key),
    [
      'node.kubernetes.io/not-ready',
      'node.kubernetes.io/unreachable',
      'node.kubernetes.io/disk-pressure',
      'node.kubernetes.io/memory-pressure',
      'node.kubernetes.io/pid-pressure',
      'node.kubernetes.io/unschedulable',
    ],
  );
  t.ok(pods[0].metadata.labels?.['controller-revision-hash']);
  t.notOk(existing.has('ds-a'));
  await markPodsReady(h, 'default', 'app=agent');
  const status = await h.eventually(async () => {
    const s = (await h.get(DS, 'default', 'agent'))?.status as Record<string, number> | undefined;
    return s?.numberReady === 1 ? s : undefined;
  });
  t.match(status, {
    desiredNumberScheduled: 1,
    currentNumberScheduled: 1,
    numberMisscheduled: 0,
    numberReady: 1,
    numberAvailable: 1,
    updatedNumberScheduled: 1,
  });
  const revisions = await h.list({ apiVersion: 'apps/v1', kind: 'ControllerRevision' }, 'default');
  t.equal(revisions.length, 1);
  t.equal(revisions[0].metadata.name, `agent-${pods[0].metadata.labels!['controller-revision-hash']}`);

  // A node change that moves where the daemon should run is acted on (kube's updateNode): the taint goes, a pod comes;
  // the label goes, the pod goes.
  type Pinned = {
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: NodeTerm[] } } } };
  };
  type NodeTerm = { matchFields: Array<{ values: string[] }> };
  const targetOf = (pod: KubeObject) =>
    (pod as unknown as Pinned).spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0]
      .values[0];
  const podNodes = async () =>
    (await h.list(POD, 'default', 'app=agent'))
      .filter((pod) => !pod.metadata.deletionTimestamp)
      .map(targetOf)
      .sort();
  await h.client.patch(NODE, undefined, 'ds-b', 'merge', { spec: { taints: null } });
  t.same(
    await h.eventually(async () => ((await podNodes()).length === 2 ? podNodes() : undefined)),
    ['ds-a', 'ds-b'],
    'untainted node gets a pod',
  );
  await h.client.patch(NODE, undefined, 'ds-a', 'merge', { metadata: { labels: { pool: null } } });
  t.same(
    await h.eventually(async () => ((await podNodes()).length === 1 ? podNodes() : undefined)),
    ['ds-b'],
    'unlabelled node loses its pod',
  );
});

t.test('a StatefulSet creates ordered pods, one after the other', async (t) => {
  const h = await startHarness(t);
  const STS = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;
  await h.client.create({
    ...STS,
    metadata: { name: 'db', namespace: 'default' },
    spec: {
      replicas: 3,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: template({ app: 'db' }, { nodeSelector: UNSCHEDULABLE }),
    },
  });
  await h.eventually(async () => (await h.list(POD, 'default', 'app=db')).length === 1);
  await h.clock.advance(2_000);
  const only = await h.list(POD, 'default', 'app=db');
  t.same(
    only.map((p) => p.metadata.name),
    ['db-0'],
    'db-1 waits for db-0 to be ready',
  );
  t.match(only[0].spec, { hostname: 'db-0', subdomain: 'db' });
  const names = await h.eventually(async () => {
    await markPodsReady(h, 'default', 'app=db');
    const list = (await h.list(POD, 'default', 'app=db')).map((p) => p.metadata.name).sort();
    return list.length === 3 ? list : undefined;
  });
  t.same(names, ['db-0', 'db-1', 'db-2']);
});

t.test('Endpoints and EndpointSlices follow the selected pods', async (t) => {
  const h = await startHarness(t);
  await h.client.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  for (const [name, ready] of [
    ['web-1', true],
    ['web-2', false],
  ] as const) {
    await h.client.create({
      ...POD,
      metadata: { name, namespace: 'default', labels: { app: 'web' } },
      spec: template({}, { nodeSelector: UNSCHEDULABLE }).spec,
    });
    // A patch, not an update: the scheduler writes its Unschedulable condition on the same pod meanwhile.
    const status = {
      phase: 'Running',
      podIP: name === 'web-1' ? '10.244.0.5' : '10.244.0.6',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    };
    await h.client.patch(POD, 'default', name, 'merge', { status }, { subresource: 'status' });
  }
  const endpoints = await h.eventually(async () => {
    const ep = await h.get({ apiVersion: 'v1', kind: 'Endpoints' }, 'default', 'web');
    const subsets = ep?.subsets as Array<{ notReadyAddresses?: unknown[] }> | undefined;
    return subsets?.[0]?.notReadyAddresses ? ep : undefined;
  });
  t.match(endpoints.subsets, [
    {
      addresses: [{ ip: '10.244.0.5', targetRef: { kind: 'Pod', name: 'web-1' } }],
      notReadyAddresses: [{ ip: '10.244.0.6' }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ]);
  const [slice] = await h.list({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' }, 'default', 'kubernetes.io/service-name=web');
  t.match(slice, {
    addressType: 'IPv4',
    metadata: {
      labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [{ kind: 'Service', name: 'web' }],
    },
  });
  t.equal((slice.endpoints as unknown[]).length, 2);
});

t.test('ClusterIP allocation hands out free addresses of 10.96.0.0/16', async (t) => {
  const stored: KubeObject[] = [];
  const allocator = new ServiceIpAllocator({ listServices: () => stored });
  const type = { group: '', kind: 'Service' } as ResourceType;
  const create = async (name: string, spec: object = {}) => {
    const object = await allocator.mutate({
      operation: 'CREATE',
      type,
      object: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec },
      dryRun: false,
      user: { username: 'u', groups: [] },
      warnings: [],
    } as never);
    stored.push(object!);
    return object!.spec as { clusterIP?: string; clusterIPs?: string[] };
  };
  t.match(await create('a'), { clusterIP: '10.96.0.2', clusterIPs: ['10.96.0.2'] });
  t.match(await create('b'), { clusterIP: '10.96.0.3' });
  t.match(await create('headless', { clusterIP: 'None' }), { clusterIP: 'None' });
  t.match(await create('fixed', { clusterIP: '10.96.0.50' }), { clusterIPs: ['10.96.0.50'] });
  await t.rejects(create('clash', { clusterIP: '10.96.0.50' }), { code: 422, message: /provided IP is already allocated/ });
});
