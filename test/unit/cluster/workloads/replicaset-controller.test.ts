import t from 'tap';
import type { KubeObject } from '../../../../src/api/types.js';
import { markPodsReady, startHarness, UNSCHEDULABLE } from './harness.js';

const RS = { apiVersion: 'apps/v1', kind: 'ReplicaSet' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const EVENT = { apiVersion: 'v1', kind: 'Event' } as const;

const replicaSet = (replicas: number): KubeObject => ({
  ...RS,
  metadata: { name: 'frontend', namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'frontend' } },
    template: {
      metadata: { labels: { app: 'frontend', tier: 'web' } },
      spec: { nodeSelector: UNSCHEDULABLE, containers: [{ name: 'nginx', image: 'nginx' }] },
    },
  },
});

t.test('creates, counts and removes pods toward spec.replicas', async (t) => {
  const h = await startHarness(t);
  const rs = await h.client.create(replicaSet(3));
  const pods = await h.eventually(async () => {
    const list = await h.list(POD, 'default', 'app=frontend');
    return list.length === 3 ? list : undefined;
  });
  for (const pod of pods) {
    t.match(pod.metadata.name, /^frontend-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    t.same(pod.metadata.labels, { app: 'frontend', tier: 'web' });
    t.same(pod.metadata.ownerReferences, [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'frontend', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
  }
  const events = await h.eventually(async () => {
    const list = (await h.list(EVENT, 'default')).filter((e) => e.reason === 'SuccessfulCreate');
    return list.length === 3 ? list : undefined;
  });
  t.same(events.map((e) => e.message).sort(), pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
  t.match(events[0], { source: { component: 'replicaset-controller' }, involvedObject: { kind: 'ReplicaSet', name: 'frontend' } });

  await markPodsReady(h, 'default', 'app=frontend');
  const status = await h.eventually(async () => {
    const current = await h.get(RS, 'default', 'frontend');
    return (current?.status as { availableReplicas?: number } | undefined)?.availableReplicas === 3 ? current!.status : undefined;
  });
  t.same(status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });

  // Scale down: the not-ready pod goes first.
  const notReady = await h.client.create({
    ...POD,
    metadata: { name: 'frontend-manual', namespace: 'default', labels: { app: 'frontend' } },
    spec: { nodeSelector: UNSCHEDULABLE, containers: [{ name: 'c', image: 'nginx' }] },
  });
  await h.eventually(async () => (await h.get(POD, 'default', 'frontend-manual')) === undefined);
  t.pass('an adopted surplus orphan that is not ready is deleted first');
  t.equal((await h.list(POD, 'default', 'app=frontend')).length, 3);
  t.ok(notReady);

  const latest = (await h.get(RS, 'default', 'frontend'))!;
  await h.client.update({ ...latest, spec: { ...(latest.spec as object), replicas: 1 } });
  await h.eventually(async () => (await h.list(POD, 'default', 'app=frontend')).length === 1);
  const deletes = (await h.list(EVENT, 'default')).filter((e) => e.reason === 'SuccessfulDelete');
  t.ok(deletes.length >= 3, 'SuccessfulDelete events are recorded');
  t.match(deletes[0].message, /^Deleted pod: frontend-/);
});
