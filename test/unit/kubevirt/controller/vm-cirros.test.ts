import t from 'tap';
import type { Pod } from '../../../../src/kube/pods.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../../../src/kubevirt/controller/types.js';
import { example, POD, startHarness, VM, VMI } from './harness.js';

t.test('vm-cirros: runStrategy Always creates the VMI, its launcher pod is scheduled, the VMI becomes Scheduled', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  const vm = { ...example('vm-cirros.yaml'), metadata: { ...example('vm-cirros.yaml').metadata, namespace: 'default' } };
  await h.client.create(vm);

  const stopped = await h.waitFor('VM Stopped', async () => {
    const got = await h.client.get<VirtualMachine>(VM, 'default', 'vm-cirros');
    return got.status?.printableStatus === 'Stopped' ? got : undefined;
  });
  t.same(stopped.metadata.finalizers, ['kubevirt.io/virtualMachineControllerFinalize']);
  t.equal(stopped.metadata.annotations?.['kubevirt.io/latest-observed-api-version'], 'v1');
  t.equal(stopped.status?.created, undefined, 'created omitted while no VMI exists');
  t.match(stopped.status?.conditions, [{ type: 'Ready', status: 'False', reason: 'VMINotExists', message: 'VMI does not exist' }]);
  t.equal(stopped.status?.runStrategy, undefined, 'status.runStrategy only once a VMI existed');

  await h.client.patch(VM, 'default', 'vm-cirros', 'merge', { spec: { runStrategy: 'Always' } });
  const vmi = await h.waitFor('VMI Scheduled', async () => {
    const got = await h.tryGet<VirtualMachineInstance>(VMI, 'default', 'vm-cirros');
    return got?.status?.phase === 'Scheduled' ? got : undefined;
  });
  const fresh = await h.client.get<VirtualMachine>(VM, 'default', 'vm-cirros');
  t.same(vmi.metadata.ownerReferences, [
    {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      name: 'vm-cirros',
      uid: fresh.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  t.equal(vmi.metadata.labels?.['kubevirt.io/vm'], 'vm-cirros', 'template labels propagated');
  t.ok(vmi.metadata.finalizers?.includes('kubevirt.io/virtualMachineControllerFinalize'));
  t.equal(vmi.metadata.annotations?.['kubevirt.io/vm-generation'], String(fresh.metadata.generation));
  t.match(vmi.status?.virtualMachineRevisionName, new RegExp(`^revision-start-vm-${fresh.metadata.uid}-\\d+$`));
  // Pending is virt-api's (the VMI mutator's) to set; without virt-api the controller goes straight on.
  t.same(
    vmi.status?.phaseTransitionTimestamps?.map((p) => p.phase),
    ['Scheduling', 'Scheduled'],
  );

  const pods = (await h.client.list<Pod>(POD, { namespace: 'default', labelSelector: 'kubevirt.io=virt-launcher' })).items;
  t.equal(pods.length, 1, 'one launcher pod');
  const pod = pods[0];
  t.match(pod.metadata.name, /^virt-launcher-vm-cirros-[a-z0-9]{5}$/);
  t.equal(vmi.status?.nodeName, pod.spec.nodeName);
  t.equal(vmi.metadata.labels?.['kubevirt.io/nodeName'], pod.spec.nodeName);
  t.same(vmi.status?.activePods, { [pod.metadata.uid ?? '']: pod.spec.nodeName });
  t.equal(vmi.status?.migrationTransport, 'Unix');
  t.equal(vmi.status?.launcherContainerImageVersion, 'quay.io/kubevirt/virt-launcher:v1.9.0-rc.2');
  t.equal(vmi.status?.qosClass, 'Burstable');
  t.match(vmi.status?.conditions, [
    { type: 'Ready', status: 'False', reason: 'GuestNotRunning', message: 'Guest VM is not reported as running' },
  ]);

  t.match(pod.metadata.labels, {
    'kubevirt.io': 'virt-launcher',
    'kubevirt.io/created-by': vmi.metadata.uid,
    'vm.kubevirt.io/name': 'vm-cirros',
    'vmi.kubevirt.io/id': 'vm-cirros',
    'kubevirt.io/vm': 'vm-cirros',
  });
  t.match(pod.metadata.annotations, {
    'kubevirt.io/domain': 'vm-cirros',
    'kubectl.kubernetes.io/default-container': 'compute',
    'kubevirt.io/migrationTransportUnix': 'true',
  });
  t.same(pod.metadata.ownerReferences, [
    {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      name: 'vm-cirros',
      uid: vmi.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  const compute = pod.spec.containers[0];
  t.equal(compute.name, 'compute');
  // 128Mi guest + 220Mi launcher + 8Mi vCPU + 8Mi IOThread + 32Mi video.
  // The API server defaults the device requests from their limits.
  t.same(compute.resources?.requests, {
    cpu: '100m',
    memory: '396Mi',
    'ephemeral-storage': '50M',
    'devices.kubevirt.io/kvm': '1',
    'devices.kubevirt.io/tun': '1',
    'devices.kubevirt.io/vhost-net': '1',
  });
  t.same(compute.resources?.limits, {
    'devices.kubevirt.io/kvm': '1',
    'devices.kubevirt.io/tun': '1',
    'devices.kubevirt.io/vhost-net': '1',
  });
  t.same(
    pod.spec.containers.map((c) => c.name),
    ['compute', 'volumecontainerdisk'],
  );
  t.equal(pod.spec.terminationGracePeriodSeconds, 30, 'grace 0 + 30');
  t.same(pod.spec.readinessGates, [{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }]);
  t.match(pod.spec.nodeSelector, { 'kubevirt.io/schedulable': 'true' });
  const fresherPod = await h.client.get<Pod>(POD, 'default', pod.metadata.name ?? '');
  t.match(
    fresherPod.status?.conditions?.find((c) => c.type === 'kubevirt.io/virtual-machine-unpaused'),
    { status: 'True', reason: 'NotPaused', message: 'the virtual machine is not paused' },
  );

  const vmNow = await h.waitFor('VM Starting with created', async () => {
    const got = await h.client.get<VirtualMachine>(VM, 'default', 'vm-cirros');
    return got.status?.created ? got : undefined;
  });
  t.equal(vmNow.status?.printableStatus, 'Starting');
  t.equal(vmNow.status?.runStrategy, 'Always');
  t.equal(vmNow.status?.observedGeneration, vmNow.metadata.generation);
  t.equal(vmNow.status?.desiredGeneration, vmNow.metadata.generation);

  const vmEvents = await h.events('vm-cirros');
  t.ok(
    vmEvents.some(
      (e) =>
        e.reason === 'SuccessfulCreate' &&
        e.message === 'Started the virtual machine by creating the new virtual machine instance vm-cirros',
    ),
  );
  t.ok(vmEvents.some((e) => e.reason === 'SuccessfulCreate' && e.message === `Created virtual machine pod ${pod.metadata.name ?? ''}`));

  // virt-handler's part, faked: the domain runs.
  await h.client.update({
    ...vmi,
    status: {
      ...vmi.status,
      phase: 'Running',
      phaseTransitionTimestamps: [
        ...(vmi.status?.phaseTransitionTimestamps ?? []),
        { phase: 'Running', phaseTransitionTimestamp: new Date().toISOString() },
      ],
    },
  });
  const running = await h.waitFor('VM Running and ready', async () => {
    const got = await h.client.get<VirtualMachine>(VM, 'default', 'vm-cirros');
    return got.status?.printableStatus === 'Running' && got.status.ready ? got : undefined;
  });
  t.match(running.status?.conditions, [{ type: 'Ready', status: 'True' }]);
});
