import t from 'tap';
import type { KubeObject } from '../../../../../src/api/types.js';
import { cirrosVm, VM, VMI } from '../harness.js';
import { condition, CONTENT, PVC, SNAPSHOT, snapshotOf, startSnapshotHarness, statusOf, waitForPhase, type WithStatus } from './harness.js';

const h = await startSnapshotHarness();
t.teardown(() => h.stop());

const withClaim =
  (claim: string) =>
  (spec: Record<string, unknown>): void => {
    const template = spec.template as { spec: { volumes: unknown[]; domain: { devices: { disks: unknown[] } } } };
    template.spec.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: claim } });
    template.spec.domain.devices.disks.push({ name: 'data', disk: { bus: 'virtio' } });
  };

t.test('a stopped VM without PVCs is snapshotted at once', async (t) => {
  const vm = await h.client.create(cirrosVm('plain', 'Halted'));
  const snapshot = await h.client.create(snapshotOf('plain-snap', 'plain'));
  const status = await waitForPhase(h, SNAPSHOT, 'plain-snap', 'Succeeded');
  t.equal(status.readyToUse, true);
  t.equal(status.sourceUID, vm.metadata.uid);
  t.equal(status.virtualMachineSnapshotContentName, `vmsnapshot-content-${snapshot.metadata.uid}`);
  t.match(condition(status, 'Ready'), { status: 'True', reason: 'Ready' });
  t.match(condition(status, 'Progressing'), { status: 'False', reason: 'Operation complete' });
  t.same(status.snapshotVolumes, { excludedVolumes: ['containerdisk', 'cloudinitdisk'] });
  t.equal(status.indications, undefined, 'an offline snapshot has no indications');
  t.ok(status.creationTime);

  const content = await h.client.get<
    WithStatus & { spec: { source: { virtualMachine: KubeObject & { spec: { runStrategy: string } } }; volumeBackups?: unknown } }
  >(CONTENT, 'default', `vmsnapshot-content-${snapshot.metadata.uid}`);
  t.same(content.metadata.finalizers, ['snapshot.kubevirt.io/vmsnapshotcontent-protection']);
  t.equal(content.spec.source.virtualMachine.metadata.name, 'plain');
  t.equal(content.spec.source.virtualMachine.spec.runStrategy, 'Halted');
  t.equal(content.spec.volumeBackups, undefined);
  t.match(content.status, { readyToUse: true });

  const latest = await h.client.get<WithStatus>(SNAPSHOT, 'default', 'plain-snap');
  t.same(latest.metadata.finalizers, ['snapshot.kubevirt.io/vmsnapshot-protection']);
  const released = await h.waitFor('lock released', async () => {
    const current = await h.client.get<WithStatus>(VM, 'default', 'plain');
    return (
      current.status?.snapshotInProgress === undefined &&
      !current.metadata.finalizers?.includes('snapshot.kubevirt.io/snapshot-source-protection')
    );
  });
  t.ok(released, 'the VM is unlocked');
  const events = await h.events('plain-snap');
  t.ok(
    events.some(
      (e) =>
        e.reason === 'SuccessfulVirtualMachineSnapshotContentCreate' &&
        e.message === `Successfully created VirtualMachineSnapshotContent vmsnapshot-content-${snapshot.metadata.uid}`,
    ),
  );

  await h.client.delete(SNAPSHOT, 'default', 'plain-snap');
  await h.waitFor(
    'snapshot and content deleted',
    async () =>
      !(await h.tryGet(SNAPSHOT, 'default', 'plain-snap')) &&
      !(await h.tryGet(CONTENT, 'default', `vmsnapshot-content-${snapshot.metadata.uid}`)),
  );
});

t.test('a running VM yields online indications', async (t) => {
  await h.client.create(cirrosVm('online', 'Always'));
  await h.waitFor('VMI created', () => h.tryGet(VMI, 'default', 'online'));
  await h.client.create(snapshotOf('online-snap', 'online'));
  const status = await waitForPhase(h, SNAPSHOT, 'online-snap', 'Succeeded');
  t.same(status.indications, ['NoGuestAgent', 'Online']);
  t.same(status.sourceIndications, [
    {
      indication: 'NoGuestAgent',
      message: 'Guest agent was not available. Snapshot is crash-consistent and may not be application-consistent.',
    },
    { indication: 'Online', message: 'Snapshot taken while the VM was running. Consistency depends on guest-agent quiescing.' },
  ]);
});

t.test('a PVC volume waits for its claim to bind, then is left out without a VolumeSnapshotClass', async (t) => {
  // A class no VolumeSnapshotClass serves (the emulator's default class `standard` has one).
  await h.client.create({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'nosnap' },
    provisioner: 'example.com/nosnap',
    volumeBindingMode: 'Immediate',
  } as KubeObject);
  await h.client.create(cirrosVm('disk', 'Halted', withClaim('disk-data')));
  await h.client.create({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'disk-data', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'nosnap', resources: { requests: { storage: '1Gi' } } },
  } as KubeObject);
  await h.client.create(snapshotOf('disk-snap', 'disk'));
  const waiting = await h.waitFor('lock refused', async () => {
    const status = await statusOf(h, SNAPSHOT, 'disk-snap');
    return condition(status, 'Progressing')?.reason?.includes('volume not bound') ? status : undefined;
  });
  t.equal(waiting.phase, 'InProgress');
  t.match(condition(waiting, 'Progressing'), {
    status: 'False',
    reason: 'Source not locked source default/disk volume not bound: disk-data',
  });
  t.match(condition(waiting, 'Ready'), { status: 'False', reason: 'Not ready' });

  await h.client.patch(PVC, 'default', 'disk-data', 'merge', { status: { phase: 'Bound' } }, { subresource: 'status' });
  const status = await waitForPhase(h, SNAPSHOT, 'disk-snap', 'Succeeded');
  t.same(status.snapshotVolumes, { excludedVolumes: ['containerdisk', 'cloudinitdisk', 'data'] });
  t.same(status.indications, ['PartialSnapshot']);
  const vm = await h.waitFor('volume snapshot statuses', async () => {
    const current = await h.client.get<WithStatus>(VM, 'default', 'disk');
    return current.status?.volumeSnapshotStatuses ? current : undefined;
  });
  t.same(vm.status?.volumeSnapshotStatuses, [
    { name: 'containerdisk', enabled: false, reason: 'Snapshot is not supported for this volumeSource type [containerdisk]' },
    { name: 'cloudinitdisk', enabled: false, reason: 'Snapshot is not supported for this volumeSource type [cloudinitdisk]' },
    {
      name: 'data',
      enabled: false,
      reason: 'No VolumeSnapshotClass: Volume snapshots are not configured for this StorageClass [nosnap] [data]',
    },
  ]);
});

t.test('a snapshot that cannot lock its source fails at the deadline', async (t) => {
  await h.client.create(cirrosVm('stuck', 'Halted', withClaim('missing-claim')));
  await h.client.create(snapshotOf('stuck-snap', 'stuck', { failureDeadline: '1m' }));
  const status = await h.waitFor(
    'snapshot failed',
    async () => {
      const current = await statusOf(h, SNAPSHOT, 'stuck-snap');
      return current.phase === 'Failed' ? current : undefined;
    },
    5000,
  );
  t.match(condition(status, 'Failure'), { status: 'True', reason: 'snapshot deadline exceeded' });
  t.match(condition(status, 'Progressing'), { status: 'False', reason: 'Operation failed' });
  const vm = await h.client.get<WithStatus>(VM, 'default', 'stuck');
  t.equal(vm.status?.snapshotInProgress, undefined);
});
