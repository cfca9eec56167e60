import t from 'tap';
import { NODE_REF, type Node } from '../../../../src/kube/nodes.js';
import { POD_REF } from '../../../../src/kube/pods.js';
import { VMI_REF } from '../../../../src/kubevirt/handler/vmi-types.js';
import { startHandlerHarness, vmiFromExampleVm, WORKER } from './handler-harness.js';

const condition = (vmi: { status?: { conditions?: Array<{ type: string }> } }, type: string) =>
  vmi.status?.conditions?.find((c) => c.type === type);

t.test('the node agent labels the worker, keeps a heartbeat and advertises the device plugins', async (t) => {
  const h = await startHandlerHarness();
  t.teardown(() => h.stop());
  const node = await h.waitFor('worker schedulable', async () => {
    const n = await h.client.get<Node>(NODE_REF, undefined, WORKER);
    return n.metadata.labels?.['kubevirt.io/schedulable'] === 'true' ? n : undefined;
  });
  t.match(node.metadata.labels, {
    'kubevirt.io/schedulable': 'true',
    'kubevirt.io/cpumanager': 'false',
    'machine-type.node.kubevirt.io/q35': 'true',
    'host-model-cpu.node.kubevirt.io/Skylake-Client-IBRS': 'true',
    'cpu-vendor.node.kubevirt.io/Intel': 'true',
    'kubevirt.io/ksm-enabled': 'false',
  });
  const firstBeat = node.metadata.annotations?.['kubevirt.io/heartbeat'];
  t.match(firstBeat, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  for (const field of ['capacity', 'allocatable'] as const) {
    t.match(
      node.status?.[field],
      { 'devices.kubevirt.io/kvm': '1k', 'devices.kubevirt.io/tun': '1k', 'devices.kubevirt.io/vhost-net': '1k', cpu: '8' },
      field,
    );
  }
  // The kubelet posts its status again (every 5 minutes) and the heartbeat goes on; both keep what the other wrote.
  await h.clock.advance(6 * 60_000);
  const later = await h.client.get<Node>(NODE_REF, undefined, WORKER);
  t.not(later.metadata.annotations?.['kubevirt.io/heartbeat'], firstBeat, 'heartbeat refreshed');
  t.equal(later.status?.allocatable?.['devices.kubevirt.io/kvm'], '1k', 'kubelet status writes keep the device plugin resources');
  const control = await h.client.get<Node>(NODE_REF, undefined, 'kubevirt-emulator-control-plane');
  t.notOk(control.metadata.labels?.['kubevirt.io/schedulable'], 'no handler pod on the tainted control plane: not labelled');

  // The handler pod goes: the handler marks its node unschedulable on shutdown.
  await h.client.delete({ apiVersion: 'apps/v1', kind: 'DaemonSet' }, 'kubevirt', 'virt-handler', { propagationPolicy: 'Foreground' });
  await h.waitFor(
    'worker unschedulable',
    async () => (await h.client.get<Node>(NODE_REF, undefined, WORKER)).metadata.labels?.['kubevirt.io/schedulable'] === 'false',
  );
});

t.test('vm-cirros: Scheduled -> Running with the pod IP, handler conditions, no guest agent; stop -> Succeeded', async (t) => {
  const h = await startHandlerHarness();
  t.teardown(() => h.stop());
  await h.waitFor(
    'handler up',
    async () => (await h.client.get<Node>(NODE_REF, undefined, WORKER)).metadata.labels?.['kubevirt.io/schedulable'] === 'true',
  );
  const { pod } = await h.scheduleVmi(vmiFromExampleVm('vm-cirros.yaml'));
  const vmi = await h.waitFor('Running', async () => {
    const v = await h.getVmi('vm-cirros');
    return v.status?.phase === 'Running' ? v : undefined;
  });
  const status = vmi.status!;
  t.same(
    status.phaseTransitionTimestamps?.map((p) => p.phase),
    ['Pending', 'Scheduling', 'Scheduled', 'Running'],
  );
  t.equal(status.interfaces?.length, 1);
  t.match(status.interfaces?.[0], {
    name: 'default',
    podInterfaceName: 'eth0',
    ipAddress: pod.status?.podIP,
    ipAddresses: [pod.status?.podIP],
    infoSource: 'domain',
    queueCount: 1,
    linkState: 'up',
  });
  t.match(status.interfaces?.[0].mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
  t.notOk(status.interfaces?.[0].interfaceName, 'interfaceName only comes from a guest agent');
  t.same(status.guestOSInfo, {});
  t.notOk(condition(vmi, 'AgentConnected'), 'cirros has no guest agent');
  t.match(condition(vmi, 'LiveMigratable'), {
    status: 'False',
    reason: 'InterfaceNotLiveMigratable',
    message: 'cannot migrate VMI which does not use masquerade or a migratable plugin to connect to the pod network',
  });
  t.match(condition(vmi, 'StorageLiveMigratable'), {
    status: 'False',
    reason: 'NotMigratable',
    message:
      'InterfaceNotLiveMigratable: cannot migrate VMI which does not use masquerade or a migratable plugin to connect to the pod network',
  });
  t.match(
    condition(vmi, 'Ready'),
    { status: 'False', reason: 'GuestNotRunning' },
    "the controller's Ready condition is left to the controller",
  );
  t.equal(status.migrationMethod, 'BlockMigration');
  t.same(status.machine, { type: 'pc-q35-rhel9.6.0' });
  t.equal(status.selinuxContext, 'none');
  t.match(status.memory, { guestAtBoot: '128Mi', guestCurrent: '128Mi', guestRequested: '128Mi' });
  t.same(status.currentCPUTopology, { sockets: 1, cores: 1, threads: 1 });
  t.same(
    status.volumeStatus?.map((v) => [v.name, v.target]),
    [
      ['cloudinitdisk', 'vdb'],
      ['containerdisk', 'vda'],
    ],
  );
  t.equal(status.qosClass, 'Burstable', "the controller's fields stay");

  // The recorder writes its Events beside the status updates, not before them: wait for the last one.
  const eventsOnceIn = (last: string) =>
    h.waitFor(`the event ${last}`, async () => {
      const seen = (await h.events('vm-cirros')).map((e) => `${e.type}/${e.reason}/${e.message}`);
      return seen.includes(last) ? seen : undefined;
    });
  const reasons = await eventsOnceIn('Normal/Started/VirtualMachineInstance started.');
  t.ok(reasons.includes('Normal/Created/VirtualMachineInstance defined.'));
  t.ok(reasons.includes('Normal/Started/VirtualMachineInstance started.'));

  // virt-controller's part of a stop: the VMI is deleted (its finalizer keeps it) and the launcher pod deleted.
  await h.client.patch(VMI_REF, 'default', 'vm-cirros', 'merge', {
    metadata: { finalizers: ['kubevirt.io/foregroundDeleteVirtualMachine'] },
  });
  await h.client.delete(VMI_REF, 'default', 'vm-cirros');
  await h.client.delete(POD_REF, 'default', pod.metadata.name ?? '');
  const stopped = await h.waitFor('Succeeded', async () => {
    const v = await h.getVmi('vm-cirros');
    return v.status?.phase === 'Succeeded' ? v : undefined;
  });
  t.same(stopped.status?.phaseTransitionTimestamps?.map((p) => p.phase).slice(-1), ['Succeeded']);
  const afterStop = await eventsOnceIn('Normal/Stopped/The VirtualMachineInstance was shut down.');
  t.ok(afterStop.includes('Normal/Deleted/VirtualMachineInstance stopping'), 'terminationGracePeriodSeconds 0: killed at once');
  t.ok(afterStop.includes('Normal/Stopped/The VirtualMachineInstance was shut down.'));
});
