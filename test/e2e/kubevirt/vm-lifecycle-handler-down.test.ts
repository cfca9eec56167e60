/**
 * A VM in a crash loop, on the virtual clock: its VMIs fail to boot (the handler's boot-failure fault), and the VM
 * backs off in CrashLoopBackOff as virt-controller does before it runs again.
 *
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
import { handlerFaults } from '../../../src/kubevirt/handler/index.js';
import type { VirtualClock } from '../../../src/runtime/clock.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';
import { rawClient } from '../../helpers/raw-https.js';

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
  fixture = await withEmulator(t, { workers: 1, clock: 'virtual', installKubeVirt: true });
  clock = fixture.emulator.clock as VirtualClock;
  const stopFreeRun = clock.runFreely();
  try {
    const applied = await fixture.kubectl(['apply', '-f', kubevirtSchema('examples/vmi-ephemeral.yaml')]);
    if (applied.code !== 0) throw new Error(applied.stderr);
    const running = await fixture.kubectl(['wait', 'vmi/vmi-ephemeral', '--for=jsonpath={.status.phase}=Running', '--timeout=30s']);
    if (running.code !== 0) throw new Error(running.stderr);
  } finally {
    stopFreeRun();
  }
});

const crashyVm = JSON.stringify({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'crashy' },
  spec: {
    runStrategy: 'Always',
    template: {
      spec: {
        domain: { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] }, resources: { requests: { memory: '128Mi' } } },
        volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }],
      },
    },
  },
});

interface StartFailure {
  consecutiveFailCount: number;
  lastFailedVMIUID: string;
  retryAfterTimestamp: string;
}

/** Every phase of each VMI named `name` since `resourceVersion`, as a watch replays them (its 1 s timeout runs on the virtual clock). */
async function vmiPhasesSince(name: string, resourceVersion: string): Promise<Map<string, string[]>> {
  const path =
    '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances' +
    `?watch=1&fieldSelector=metadata.name%3D${name}&resourceVersion=${resourceVersion}&timeoutSeconds=1`;
  const answer = rawClient(fixture.emulator.url, fixture.kubeconfigPath).send('GET', path);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await clock.advance(2_000);
  const phases = new Map<string, string[]>();
  for (const line of (await answer).text.split('\n').filter(Boolean)) {
    const { metadata, status } = JSON.parse(line).object;
    const seen = phases.get(metadata.uid) ?? [];
    if (status?.phase && status.phase !== seen.at(-1)) seen.push(status.phase);
    phases.set(metadata.uid, seen);
  }
  return phases;
}

// vm.go (syncStartFailureStatus, calculateStartBackoffTime): a VMI that fails before it ever ran counts as a failed
// start; the n-th consecutive one holds the next start back 10·n² s plus up to half as much again (at most 5 min), and
// the VM shows CrashLoopBackOff meanwhile. A VMI that reaches Running clears startFailure. The boot failure is
// virt-launcher's SyncVMI error, reported by virt-handler as a Warning SyncFailed event and the VMI Failed.
t.test('a VM whose VMIs fail to boot backs off in CrashLoopBackOff on the clock, then runs', async (t) => {
  const faults = handlerFaults(clock);
  const vmStatus = get(['vm', 'crashy', '-o', 'jsonpath={.status.printableStatus}']);
  const startFailure = async (): Promise<StartFailure | undefined> => {
    const text = await get(['vm', 'crashy', '-o', 'jsonpath={.status.startFailure}'])();
    return text ? (JSON.parse(text) as StartFailure) : undefined;
  };
  const vmiExists = async () => (await fixture.kubectl(['get', 'vmi', 'crashy', '-o', 'name'])).code === 0;

  await faults.failBoot('default', 'crashy');
  const created = await fixture.kubectl(['create', '-f', '-', '-o', 'jsonpath={.metadata.resourceVersion}'], { input: crashyVm });
  t.equal(created.code, 0, created.stderr);
  t.equal(await advanceUntil(vmStatus, 'CrashLoopBackOff', 30_000, 1_000), 'CrashLoopBackOff');
  const first = await startFailure();
  t.equal(first?.consecutiveFailCount, 1);
  const firstDelay = Date.parse(first?.retryAfterTimestamp ?? '') - clock.nowMs();
  t.ok(firstDelay > 8_000 && firstDelay <= 15_000, `first retry in 10–15 s (${firstDelay} ms)`);
  t.notOk(await vmiExists(), 'no VMI during the back-off');
  const syncFailed = await get([
    'events',
    '--field-selector',
    'involvedObject.kind=VirtualMachineInstance,involvedObject.name=crashy,reason=SyncFailed',
    '-o',
    'jsonpath={.items[*].type} {.items[*].message}',
  ])();
  t.match(syncFailed, /^Warning .*failed to initialize kvm/, "virt-handler's SyncFailed with the launcher's error");

  // The second start fails too: the back-off grows to 40–60 s.
  await faults.failBoot('default', 'crashy');
  const second = await (async () => {
    for (let i = 0; i < 30; i++) {
      const failure = await startFailure();
      if (failure && failure.consecutiveFailCount === 2) return failure;
      await clock.advance(1_000);
    }
    return startFailure();
  })();
  t.equal(second?.consecutiveFailCount, 2, 'a second failed start');
  t.not(second?.lastFailedVMIUID, first?.lastFailedVMIUID);
  const secondDelay = Date.parse(second?.retryAfterTimestamp ?? '') - clock.nowMs();
  t.ok(secondDelay > 35_000 && secondDelay <= 60_000, `second retry in 40–60 s (${secondDelay} ms)`);
  t.equal(await vmStatus(), 'CrashLoopBackOff');
  await clock.advance(secondDelay - 3_000);
  t.notOk(await vmiExists(), 'still no VMI just before retryAfterTimestamp');

  t.equal(await advanceUntil(vmStatus, 'Running', 30_000, 1_000), 'Running', 'the third start runs');
  t.equal(await startFailure(), undefined, 'a VMI that ran clears startFailure');
  const phases = await vmiPhasesSince('crashy', created.stdout);
  t.same(
    [...phases.values()].map((seen) => seen.at(-1)),
    ['Failed', 'Failed', 'Running'],
    'a watch saw two VMIs end Failed, then one Running',
  );
  t.ok(phases.has(first?.lastFailedVMIUID ?? '') && phases.has(second?.lastFailedVMIUID ?? ''), 'the failed VMIs are the counted ones');

  t.equal((await fixture.kubectl(['delete', 'vm', 'crashy', '--wait=false'])).code, 0);
  t.equal(await advanceUntil(async () => String(await vmiExists()), 'false', 60_000, 1_000), 'false', 'its VMI is gone');
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
