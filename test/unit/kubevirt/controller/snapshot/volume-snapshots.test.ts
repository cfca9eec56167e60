import t from 'tap';
import type { KubeObject } from '../../../../../src/api/types.js';
import { cirrosVm, VM } from '../harness.js';
import {
  boundClaim,
  CONTENT,
  PVC,
  RESTORE,
  SNAPSHOT,
  snapshotOf,
  startSnapshotHarness,
  statusOf,
  waitForPhase,
  type WithStatus,
} from './harness.js';

const h = await startSnapshotHarness();
t.teardown(() => h.stop());

const VOLUME_SNAPSHOT = { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot' };

// The emulator serves the external-snapshotter's CRDs (and runs its snapshot controller) from the start.
await h.client.create({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'csi' },
  provisioner: 'csi.example.com',
  volumeBindingMode: 'Immediate',
} as KubeObject);
await h.client.create({
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshotClass',
  metadata: { name: 'csi-snap' },
  driver: 'csi.example.com',
  deletionPolicy: 'Delete',
} as KubeObject);

t.test('with a VolumeSnapshotClass the PVC is snapshotted and restored into restore-<uid>-<volume>', async (t) => {
  await boundClaim(h, 'app-data', 'csi');
  await h.client.create(
    cirrosVm('app', 'Halted', (spec) => {
      const template = spec.template as { spec: { volumes: unknown[]; domain: { devices: { disks: unknown[] } } } };
      template.spec.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'app-data' } });
      template.spec.domain.devices.disks.push({ name: 'data', disk: { bus: 'virtio' } });
    }),
  );
  const snapshot = await h.client.create(snapshotOf('app-snap', 'app'));
  const status = await waitForPhase(h, SNAPSHOT, 'app-snap', 'Succeeded');
  t.same(status.snapshotVolumes, { includedVolumes: ['data'], excludedVolumes: ['containerdisk', 'cloudinitdisk'] });
  t.equal(status.readyToUse, true);
  const volumeSnapshotName = `vmsnapshot-${snapshot.metadata.uid}-volume-data`;
  const content = await h.client.get<WithStatus & { spec: { volumeBackups: Array<{ volumeName: string; volumeSnapshotName: string }> } }>(
    CONTENT,
    'default',
    `vmsnapshot-content-${snapshot.metadata.uid}`,
  );
  t.match(content.spec.volumeBackups, [{ volumeName: 'data', volumeSnapshotName }]);
  t.match(content.status?.volumeSnapshotStatus, [{ volumeSnapshotName, readyToUse: true }]);
  const volumeSnapshot = await h.client.get<WithStatus>(VOLUME_SNAPSHOT, 'default', volumeSnapshotName);
  t.match(volumeSnapshot.spec, { source: { persistentVolumeClaimName: 'app-data' }, volumeSnapshotClassName: 'csi-snap' });
  const vm = await h.client.get<WithStatus>(VM, 'default', 'app');
  t.match(vm.status?.volumeSnapshotStatuses, [{}, {}, { name: 'data', enabled: true }]);

  const restore = await h.client.create({
    apiVersion: RESTORE.apiVersion,
    kind: RESTORE.kind,
    metadata: { name: 'app-restore', namespace: 'default' },
    spec: { target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'app' }, virtualMachineSnapshotName: 'app-snap' },
  } as KubeObject);
  const claimName = `restore-${restore.metadata.uid}-data`;
  const claim = await h.waitFor('restored PVC', () => h.tryGet<WithStatus>(PVC, 'default', claimName));
  t.match(claim.spec, {
    storageClassName: 'csi',
    dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: volumeSnapshotName },
  });
  t.equal(claim.metadata.annotations?.['restore.kubevirt.io/name'], 'app-restore');
  const waiting = await statusOf(h, RESTORE, 'app-restore');
  t.match(waiting.conditions, [
    { type: 'Progressing', status: 'True', reason: 'Creating new PVCs' },
    { type: 'Ready', status: 'False', reason: 'Waiting for new PVCs' },
  ]);
  t.same(waiting.restores, [{ volumeName: 'data', persistentVolumeClaim: claimName, volumeSnapshotName }]);

  await h.client.patch(PVC, 'default', claimName, 'merge', { status: { phase: 'Bound' } }, { subresource: 'status' });
  await h.waitFor('restore complete', async () => (await statusOf(h, RESTORE, 'app-restore')).complete === true);
  const restored = await h.client.get<
    WithStatus & { spec: { template: { spec: { volumes: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> } } } }
  >(VM, 'default', 'app');
  t.equal(restored.spec.template.spec.volumes.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, claimName);
});
