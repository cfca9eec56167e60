import t from 'tap';
import type { KubeObject } from '../../../../src/api/types.js';
import { computeHash, safeEncodeString } from '../../../../src/cluster/workloads/template-hash.js';
import { markPodsReady, startHarness, UNSCHEDULABLE, type Harness } from './harness.js';

const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;
const RS = { apiVersion: 'apps/v1', kind: 'ReplicaSet' } as const;
const EVENT = { apiVersion: 'v1', kind: 'Event' } as const;

interface Status {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
}

const deployment = (image: string): KubeObject => ({
  ...DEPLOY,
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { nodeSelector: UNSCHEDULABLE, containers: [{ name: 'nginx', image }] } },
  },
});

/** Plays kubelet until the deployment reports a completed rollout of its current generation. */
async function rolledOut(h: Harness): Promise<{ d: KubeObject; status: Status }> {
  return h.eventually(async () => {
    await markPodsReady(h, 'default', 'app=web');
    const d = (await h.get(DEPLOY, 'default', 'web'))!;
    const status = (d.status ?? {}) as Status;
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    const done =
      status.observedGeneration === d.metadata.generation &&
      progressing?.reason === 'NewReplicaSetAvailable' &&
      status.replicas === 3 &&
      status.updatedReplicas === 3;
    return done ? { d, status } : undefined;
  });
}

t.test('template hash: FNV-1a rendered in the safe alphabet', async (t) => {
  t.equal(safeEncodeString('0123456789'), '456789bcdf', 'each digit maps by its character code modulo 27');
  t.equal(computeHash({ a: 1, b: 2 }), computeHash({ b: 2, a: 1 }), 'key order does not matter');
  t.not(computeHash({ a: 1 }), computeHash({ a: 1 }, 1), 'the collision count changes the hash');
  t.match(computeHash({ a: 1 }), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
});

t.test('rolls out, rolls to a new template, and rolls back', async (t) => {
  const h = await startHarness(t);
  await h.client.create(deployment('nginx'));
  const first = await rolledOut(h);
  t.match(first.status, { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
  t.notOk(first.status.unavailableReplicas, 'no unavailable replicas');
  const byType = new Map(first.status.conditions!.map((c) => [c.type, c]));
  t.match(byType.get('Available'), { status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
  const [rs1] = await h.list(RS, 'default');
  t.match(rs1.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
  const hash = rs1.metadata.labels!['pod-template-hash'];
  t.equal(rs1.metadata.name, `web-${hash}`);
  t.match(rs1.metadata.annotations, {
    'deployment.kubernetes.io/revision': '1',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
  });
  t.match(byType.get('Progressing'), {
    status: 'True',
    reason: 'NewReplicaSetAvailable',
    message: `ReplicaSet "web-${hash}" has successfully progressed.`,
  });
  t.equal(first.d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  const scaled = (await h.list(EVENT, 'default')).filter((e) => e.reason === 'ScalingReplicaSet');
  t.same(
    scaled.map((e) => e.message),
    [`Scaled up replica set web-${hash} from 0 to 3`],
  );

  // A new image: a second ReplicaSet takes over within maxSurge 1 / maxUnavailable 0.
  const spec = first.d.spec as { template: { spec: { containers: Array<{ image: string }> } } };
  await h.client.update({
    ...first.d,
    spec: {
      ...spec,
      template: {
        ...spec.template,
        spec: { ...spec.template.spec, containers: [{ ...spec.template.spec.containers[0], image: 'nginx:1.27' }] },
      },
    },
  });
  const second = await rolledOut(h);
  t.equal(second.d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
  const sets = await h.list(RS, 'default');
  t.equal(sets.length, 2);
  const rs2 = sets.find((rs) => rs.metadata.name !== rs1.metadata.name)!;
  t.equal((rs2.spec as { replicas: number }).replicas, 3);
  t.equal(((await h.get(RS, 'default', rs1.metadata.name!))!.spec as { replicas: number }).replicas, 0, 'old ReplicaSet scaled to zero');
  const messages = (await h.list(EVENT, 'default')).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message as string);
  t.ok(messages.includes(`Scaled up replica set ${rs2.metadata.name} from 0 to 1`), 'surge of one');
  t.ok(messages.some((m) => m.startsWith(`Scaled down replica set ${rs1.metadata.name} from 3 to 2`)));

  // Rollback as kubectl rollout undo does: the old template comes back, its ReplicaSet becomes revision 3.
  const old = (await h.get(RS, 'default', rs1.metadata.name!))!;
  const template = structuredClone((old.spec as { template: { metadata: { labels: Record<string, string> } } }).template);
  delete template.metadata.labels['pod-template-hash'];
  await h.client.patch(DEPLOY, 'default', 'web', 'strategic', { spec: { template } });
  const third = await rolledOut(h);
  t.equal(third.d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  const back = (await h.get(RS, 'default', rs1.metadata.name!))!;
  t.match(back.metadata.annotations, { 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
  t.equal((back.spec as { replicas: number }).replicas, 3);
});

t.test('Recreate scales the old set to zero before the new one starts', async (t) => {
  const h = await startHarness(t);
  const d = deployment('nginx');
  await h.client.create({ ...d, spec: { ...(d.spec as object), strategy: { type: 'Recreate' } } });
  const first = await rolledOut(h);
  const spec = first.d.spec as { template: { spec: { containers: Array<{ image: string }> } } };
  await h.client.update({
    ...first.d,
    spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers: [{ name: 'nginx', image: 'nginx:2' }] } } },
  });
  await rolledOut(h);
  const messages = (await h.list(EVENT, 'default')).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message as string);
  t.equal(messages.length, 3);
  t.match(messages[1], /^Scaled down replica set web-\w+ from 3 to 0$/);
  t.match(messages[2], /^Scaled up replica set web-\w+ from 0 to 3$/);
});
