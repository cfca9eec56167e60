import t from 'tap';
import { nodeFaults } from '../../../../src/cluster/nodes/index.js';
import type { Node } from '../../../../src/kube/nodes.js';
import type { Pod } from '../../../../src/kube/pods.js';
import { POD, podOn, until, virtualEmulator } from './virtual-emulator.js';

const NODE = { apiVersion: 'v1', kind: 'Node' } as const;
const WORKER = 'kubevirt-emulator-worker';

t.test('a lost node turns NotReady, is tainted, and its pods are evicted after their toleration', async (t) => {
  const { emulator, clock } = await virtualEmulator(t);
  const { client } = emulator;
  // What the DefaultTolerationSeconds admission plugin adds (written out, so the test does not depend on its registration).
  const tolerations = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({
    key,
    operator: 'Exists' as const,
    effect: 'NoExecute' as const,
    tolerationSeconds: 300,
  }));
  await client.create<Pod>(podOn(WORKER, 'web', { tolerations }));
  await client.create<Pod>(
    podOn(WORKER, 'forever', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }] }),
  );
  await until(clock, async () => (await client.get<Pod>(POD, 'default', 'web')).status?.phase === 'Running');

  await nodeFaults(clock).stopKubelet(WORKER);
  await clock.advance(40_000);
  t.equal(
    (await client.get<Node>(NODE, undefined, WORKER)).status?.conditions?.find((c) => c.type === 'Ready')?.status,
    'True',
    'still within the grace period',
  );
  await clock.advance(15_000);
  const lost = await client.get<Node>(NODE, undefined, WORKER);
  t.match(
    lost.status?.conditions?.find((c) => c.type === 'Ready'),
    { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' },
  );
  t.match(lost.spec?.taints, [
    { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
  ]);
  const notReady = await client.get<Pod>(POD, 'default', 'web');
  t.equal(notReady.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  t.notOk(notReady.metadata.deletionTimestamp);

  await clock.advance(290_000);
  t.notOk((await client.get<Pod>(POD, 'default', 'web')).metadata.deletionTimestamp, 'tolerated for 300 s');
  await clock.advance(15_000);
  const evicted = await client.get<Pod>(POD, 'default', 'web');
  t.ok(evicted.metadata.deletionTimestamp, 'evicted, and left Terminating while its kubelet is down');
  t.match(
    evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget'),
    { status: 'True', reason: 'DeletionByTaintManager' },
  );
  t.notOk((await client.get<Pod>(POD, 'default', 'forever')).metadata.deletionTimestamp, 'a toleration without seconds keeps the pod');

  await nodeFaults(clock).startKubelet(WORKER);
  await clock.advance(1_000);
  const back = await client.get<Node>(NODE, undefined, WORKER);
  t.equal(back.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  t.notOk(back.spec?.taints?.length, 'taints removed');
  await t.rejects(client.get(POD, 'default', 'web'), { code: 404 }, 'the returning kubelet finishes the termination');
});
