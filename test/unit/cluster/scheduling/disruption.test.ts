import t from 'tap';
import { computePdbStatus, scaledValue } from '../../../../src/cluster/scheduling/disruption.js';
import { spendDisruption } from '../../../../src/cluster/scheduling/eviction.js';
import type { Pod, PodDisruptionBudget } from '../../../../src/cluster/scheduling/objects.js';
import type { StatusError } from '../../../../src/api/errors.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

const web = (name: string, ready: boolean, extra: Partial<Pod['metadata']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    labels: { app: 'web' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid', controller: true }],
    ...extra,
  },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const budget = (spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status']): PodDisruptionBudget => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'web-pdb', namespace: 'default', generation: 1 },
  spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  status,
});
const scaleOf = () => ({ uid: 'deploy-uid', replicas: 4 });

t.test('int-or-percent values scale up', async (t) => {
  t.equal(scaledValue(2, 10), 2);
  t.equal(scaledValue('25%', 10), 3);
  t.equal(scaledValue('50%', 3), 2);
});

t.test('minAvailable counts the selected pods and their ready ones', async (t) => {
  const pods = [
    web('a', true),
    web('b', true),
    web('c', false),
    { ...web('other', true), metadata: { name: 'other', namespace: 'default', labels: { app: 'db' } } },
  ];
  const { status } = computePdbStatus(budget({ minAvailable: 1 }), pods, scaleOf, NOW);
  t.match(status, { observedGeneration: 1, expectedPods: 3, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1 });
  t.match(status.conditions, [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 1 }]);
  const blocked = computePdbStatus(budget({ minAvailable: 2 }), pods, scaleOf, NOW).status;
  t.match(blocked, { disruptionsAllowed: 0, conditions: [{ status: 'False', reason: 'InsufficientPods' }] });
});

t.test('maxUnavailable and percentages use the controller scale', async (t) => {
  const pods = [web('a', true), web('b', true), web('c', true), web('d', true)];
  t.match(computePdbStatus(budget({ maxUnavailable: 1 }), pods, scaleOf, NOW).status, {
    expectedPods: 4,
    desiredHealthy: 3,
    disruptionsAllowed: 1,
  });
  t.match(computePdbStatus(budget({ minAvailable: '50%' }), pods, scaleOf, NOW).status, {
    expectedPods: 4,
    desiredHealthy: 2,
    disruptionsAllowed: 2,
  });
});

t.test('disrupted pods do not count as healthy until deleted or expired', async (t) => {
  const pods = [web('a', true), web('b', true), web('c', true, { deletionTimestamp: iso(NOW) })];
  const recorded = budget(
    { minAvailable: 1 },
    {
      disruptionsAllowed: 0,
      currentHealthy: 0,
      desiredHealthy: 1,
      expectedPods: 3,
      disruptedPods: { a: iso(NOW - 30_000), c: iso(NOW - 10_000), gone: iso(NOW) },
    },
  );
  const { status, recheckAfterMs } = computePdbStatus(recorded, pods, scaleOf, NOW);
  t.same(status.disruptedPods, { a: iso(NOW - 30_000) }, 'deleted and terminating pods leave the map');
  t.equal(status.currentHealthy, 1, 'only b is healthy');
  t.equal(recheckAfterMs, 90_000, 'a expires two minutes after its eviction');
  t.equal(computePdbStatus(recorded, pods, scaleOf, NOW + 120_000).status.disruptedPods, undefined);
});

t.test('an eviction spends one disruption or is refused with the real message', async (t) => {
  const allowed = budget(
    { minAvailable: 1 },
    { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 },
  );
  const spent = spendDisruption(allowed, 'a', iso(NOW));
  t.match(spent.status, {
    disruptionsAllowed: 0,
    disruptedPods: { a: iso(NOW) },
    conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }],
  });
  const error = t.throws(() => spendDisruption(spent, 'b', iso(NOW))) as unknown as StatusError;
  t.equal(error.code, 429);
  t.same(error.toStatus(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    reason: 'TooManyRequests',
    details: {
      causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web-pdb needs 1 healthy pods and has 2 currently' }],
    },
    code: 429,
  });
  const stale = { ...allowed, metadata: { ...allowed.metadata, generation: 2 } };
  const pending = t.throws(() => spendDisruption(stale, 'a', iso(NOW))) as unknown as StatusError;
  t.match(pending.details, {
    retryAfterSeconds: 10,
    causes: [{ message: 'The disruption budget web-pdb is still being processed by the server.' }],
  });
});
