/**
 * virt-handler gone from a node, on the virtual clock (minutes of simulation
 * in a few seconds): the node is taken out of the virt-handler DaemonSet and
 * its handler pod deleted; a VMI there whose launcher then ends stays
 * Running, as nobody reports it (kubevirt-behaviour.md §2.2: the controller
 * fails a Running VMI only when its pod is gone); once the heartbeat is older
 * than five minutes virt-controller marks the node unschedulable and the VMI
 * Failed with reason NodeUnresponsive (§9.3), with the §10.1 events.
 */
import t from 'tap';
import { workerName } from '../../../src/cluster/nodes/index.js';
import type { VirtualClock } from '../../../src/runtime/clock.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { installKubeVirt, kubevirtSchema } from '../../helpers/kubevirt.js';

const WORKER = workerName(1);
/** Keeps the launcher pod object after its containers ended, as volume unmounts do without virt-handler. */
const HOLD = 'test.kubevirt-emulator.io/hold';

let fixture: EmulatorFixture;
let clock: VirtualClock;

/** Moves virtual time in steps until `probe` answers `expected` or `maxMs` of virtual time has passed; returns the last answer. */
async function advanceUntil(probe: () => Promise<string>, expected: string, maxMs: number, stepMs = 10_000): Promise<string> {
  let answer = await probe();
  for (let passed = 0; answer !== expected && passed < maxMs; passed += stepMs) {
    await clock.advance(stepMs);
    answer = await probe();
  }
  return answer;
}

const get = (args: string[]) => async () => (await fixture.kubectl(['get', ...args])).stdout;

t.before(async () => {
  fixture = await withEmulator(t, { workers: 1, clock: 'virtual' });
  clock = fixture.emulator.clock as VirtualClock;
  const stopFreeRun = clock.runFreely();
  try {
    await installKubeVirt(fixture);
    const applied = await fixture.kubectl(['apply', '-f', kubevirtSchema('examples/vmi-ephemeral.yaml')]);
    if (applied.code !== 0) throw new Error(applied.stderr);
    const running = await fixture.kubectl(['wait', 'vmi/vmi-ephemeral', '--for=jsonpath={.status.phase}=Running', '--timeout=30s']);
    if (running.code !== 0) throw new Error(running.stderr);
  } finally {
    stopFreeRun();
  }
});

t.test('a VMI on a node without virt-handler is failed NodeUnresponsive once the heartbeat is stale', async (t) => {
  const { kubectl } = fixture;
  t.equal(await get(['vmi', 'vmi-ephemeral', '-o', 'jsonpath={.status.nodeName}'])(), WORKER);

  // Out of the DaemonSet's nodeSelector (kubernetes.io/os: linux), so the deleted handler pod is not replaced.
  t.equal((await kubectl(['label', 'node', WORKER, 'kubernetes.io/os=other', '--overwrite'])).code, 0);
  const deleted = await kubectl([
    'delete',
    'pod',
    '-n',
    'kubevirt',
    '-l',
    'kubevirt.io=virt-handler',
    '--field-selector',
    `spec.nodeName=${WORKER}`,
    '--ignore-not-found',
    '--wait=false',
  ]);
  t.equal(deleted.code, 0, deleted.stderr);
  const handlerPods = get([
    'pods',
    '-n',
    'kubevirt',
    '-l',
    'kubevirt.io=virt-handler',
    '--field-selector',
    `spec.nodeName=${WORKER}`,
    '-o',
    'name',
  ]);
  t.equal(await advanceUntil(handlerPods, '', 60_000, 1_000), '', 'no virt-handler pod on the node');
  const schedulable = get(['node', WORKER, '-o', 'jsonpath={.metadata.labels.kubevirt\\.io/schedulable}']);
  t.equal(await schedulable(), 'false', 'the handler marked its node unschedulable when it shut down (§9.1)');

  // The launcher ends; with no handler to report it the VMI does not progress.
  const pod = (await get(['pods', '-l', 'kubevirt.io=virt-launcher', '-o', 'jsonpath={.items[0].metadata.name}'])()).trim();
  t.equal((await kubectl(['patch', 'pod', pod, '--type', 'merge', '-p', JSON.stringify({ metadata: { finalizers: [HOLD] } })])).code, 0);
  t.equal((await kubectl(['delete', 'pod', pod, '--wait=false'])).code, 0);
  const computeEnded = get(['pod', pod, '-o', 'jsonpath={.status.containerStatuses[?(@.name=="compute")].state.terminated.reason}']);
  t.not(await advanceUntil(computeEnded, 'Completed', 60_000, 5_000), '', "the launcher's compute container has ended");
  const phase = get(['vmi', 'vmi-ephemeral', '-o', 'jsonpath={.status.phase}{.status.reason}']);
  t.equal(await phase(), 'Running', 'the VMI stays Running while the heartbeat is fresh');

  // Heartbeats stop: 5 minutes after the last one virt-controller steps in (rechecking every minute).
  t.equal(
    await advanceUntil(phase, 'FailedNodeUnresponsive', 10 * 60_000),
    'FailedNodeUnresponsive',
    'VMI Failed, reason NodeUnresponsive',
  );
  const vmiEvents = await get([
    'events',
    '--field-selector',
    'involvedObject.name=vmi-ephemeral,reason=NodeUnresponsive',
    '-o',
    'jsonpath={.items[*].message}',
  ])();
  t.equal(vmiEvents, `virt-handler on node ${WORKER} is not responsive, marking VMI as failed`);
  const nodeEvents = await get([
    'events',
    '--field-selector',
    `involvedObject.kind=Node,involvedObject.name=${WORKER},reason=NodeUnresponsive`,
    '-o',
    'jsonpath={.items[*].message}',
  ])();
  // The handler unlabelled the node itself when it shut down, so virt-controller has no node to mark (node.go: only a schedulable one).
  t.notMatch(nodeEvents, 'marking node as unresponsive');
  t.match(
    nodeEvents,
    'virt-handler is not present, there are orphaned vmis on this node. Run virt-handler on this node to migrate or remove them.',
  );
});
