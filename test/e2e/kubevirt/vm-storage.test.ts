/**
 * VMs on plain PersistentVolumeClaims (no DataVolume), with the real kubectl:
 * the default class binds when the launcher pod is scheduled and the VMI's
 * volumeStatus carries the claim's info; an Immediate claim with no volume keeps
 * the launcher pod Pending and the VMI Scheduling until a volume appears.
 */
import t from 'tap';
import { stringify } from 'yaml';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { installKubeVirt } from '../../helpers/kubevirt.js';

let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 2 });
  await installKubeVirt(fixture);
});

async function apply(objects: object[]): Promise<void> {
  const result = await fixture.kubectl(['apply', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') });
  if (result.code !== 0) throw new Error(`kubectl apply failed: ${result.stderr}`);
}

async function wait(args: string[]): Promise<void> {
  const result = await fixture.kubectl(['wait', ...args, '--timeout=60s']);
  if (result.code !== 0) throw new Error(`kubectl wait ${args.join(' ')}: ${result.stderr}`);
}

async function json<T>(args: string[]): Promise<T> {
  const result = await fixture.kubectl([...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

const claim = (name: string, storageClassName?: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(storageClassName ? { storageClassName } : {}) },
});

/** An Always VM booting from a containerDisk with the claim as a second disk. */
const vmWithClaim = (name: string, claimName: string) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name, namespace: 'default' },
  spec: {
    runStrategy: 'Always',
    template: {
      spec: {
        domain: {
          devices: {
            disks: [
              { name: 'containerdisk', disk: { bus: 'virtio' } },
              { name: 'data', disk: { bus: 'virtio' } },
            ],
          },
          resources: { requests: { memory: '128Mi' } },
        },
        volumes: [
          { name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } },
          { name: 'data', persistentVolumeClaim: { claimName } },
        ],
      },
    },
  },
});

interface Vmi {
  status: {
    phase: string;
    nodeName?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    volumeStatus?: Array<{ name: string; persistentVolumeClaimInfo?: Record<string, unknown> }>;
  };
}

t.test('a VM on a claim of the default class runs once the claim binds on its node', async (t) => {
  await apply([claim('disk-data'), vmWithClaim('vm-disk', 'disk-data')]);
  await wait(['vmi/vm-disk', '--for=jsonpath={.status.phase}=Running']);
  await wait(['vm/vm-disk', '--for=condition=Ready']);
  const vmi = await json<Vmi>(['get', 'vmi', 'vm-disk']);
  const pvc = await json<{ spec: { volumeName: string }; metadata: { annotations: Record<string, string> }; status: { phase: string } }>([
    'get',
    'pvc',
    'disk-data',
  ]);
  t.equal(pvc.status.phase, 'Bound');
  t.equal(pvc.metadata.annotations['volume.kubernetes.io/selected-node'], vmi.status.nodeName, 'provisioned on the VMI node');
  const pv = await json<{ spec: { nodeAffinity: unknown } }>(['get', 'pv', pvc.spec.volumeName]);
  t.match(pv.spec.nodeAffinity, { required: { nodeSelectorTerms: [{ matchExpressions: [{ values: [vmi.status.nodeName] }] }] } });
  t.same(vmi.status.volumeStatus?.find((v) => v.name === 'data')?.persistentVolumeClaimInfo, {
    claimName: 'disk-data',
    accessModes: ['ReadWriteOnce'],
    volumeMode: 'Filesystem',
    capacity: { storage: '1Gi' },
    requests: { storage: '1Gi' },
    filesystemOverhead: '0.055',
  });
});

t.test('a VM whose Immediate claim has no volume stays Scheduling; a matching volume lets it run', async (t) => {
  await apply([
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'immediate' },
      provisioner: 'example.com/nobody',
      volumeBindingMode: 'Immediate',
    },
    claim('late-data', 'immediate'),
    vmWithClaim('vm-late', 'late-data'),
  ]);
  await wait(['vmi/vm-late', '--for=condition=PodScheduled=False']);
  const vmi = await json<Vmi>(['get', 'vmi', 'vm-late']);
  t.equal(vmi.status.phase, 'Scheduling');
  const scheduled = vmi.status.conditions?.find((c) => c.type === 'PodScheduled');
  t.equal(scheduled?.reason, 'Unschedulable');
  t.equal(
    scheduled?.message,
    '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. ' +
      'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
  );
  const pods = await fixture.kubectl(['get', 'pods', '-l', 'kubevirt.io/created-by', '--no-headers']);
  t.match(pods.stdout, /virt-launcher-vm-late-\w+\s+0\/\d\s+Pending/);

  await apply([
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'late-pv' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'immediate',
        hostPath: { path: '/mnt/late' },
      },
    },
  ]);
  await wait(['vmi/vm-late', '--for=jsonpath={.status.phase}=Running']);
  t.equal((await json<{ status: { phase: string } }>(['get', 'pvc', 'late-data'])).status.phase, 'Bound');
});

t.test('a VirtualMachineSnapshot and a VirtualMachineRestore of the PVC-backed VM go through VolumeSnapshots', async (t) => {
  await apply([
    {
      apiVersion: 'snapshot.kubevirt.io/v1beta1',
      kind: 'VirtualMachineSnapshot',
      metadata: { name: 'disk-snap', namespace: 'default' },
      spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'vm-disk' } },
    },
  ]);
  await wait(['vmsnapshot/disk-snap', '--for=jsonpath={.status.phase}=Succeeded']);
  const snapshot = await json<{ metadata: { uid: string }; status: { indications: string[]; snapshotVolumes: Record<string, string[]> } }>([
    'get',
    'vmsnapshot',
    'disk-snap',
  ]);
  t.notOk(snapshot.status.indications.includes('PartialSnapshot'), 'not a partial snapshot');
  t.same(snapshot.status.snapshotVolumes.includedVolumes, ['data']);
  const volumeSnapshotName = `vmsnapshot-${snapshot.metadata.uid}-volume-data`;
  const volumeSnapshot = await json<{ spec: Record<string, unknown>; status: Record<string, unknown> }>([
    'get',
    'volumesnapshot',
    volumeSnapshotName,
  ]);
  t.match(volumeSnapshot.spec, { source: { persistentVolumeClaimName: 'disk-data' }, volumeSnapshotClassName: 'standard' });
  t.match(volumeSnapshot.status, { readyToUse: true, restoreSize: '1Gi', boundVolumeSnapshotContentName: /^snapcontent-[0-9a-f-]{36}$/ });
  const content = await json<{ spec: Record<string, unknown>; status: Record<string, unknown> }>([
    'get',
    'volumesnapshotcontent',
    String(volumeSnapshot.status.boundVolumeSnapshotContentName),
  ]);
  t.match(content.spec, { driver: 'rancher.io/local-path', deletionPolicy: 'Delete', volumeSnapshotRef: { name: volumeSnapshotName } });
  t.match(content.status, { readyToUse: true, restoreSize: 1073741824 });
  const listed = await fixture.kubectl(['get', 'volumesnapshot', volumeSnapshotName, '--no-headers']);
  t.match(listed.stdout, new RegExp(`^${volumeSnapshotName}\\s+true\\s+disk-data\\s+1Gi\\s+standard\\s+snapcontent-`));

  t.equal((await fixture.kubectl(['patch', 'vm', 'vm-disk', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Halted"}}'])).code, 0);
  await wait(['vmi/vm-disk', '--for=delete']);
  await apply([
    {
      apiVersion: 'snapshot.kubevirt.io/v1beta1',
      kind: 'VirtualMachineRestore',
      metadata: { name: 'disk-restore', namespace: 'default' },
      spec: { target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'vm-disk' }, virtualMachineSnapshotName: 'disk-snap' },
    },
  ]);
  await wait(['vmrestore/disk-restore', '--for=jsonpath={.status.complete}=true']);
  const restore = await json<{ metadata: { uid: string } }>(['get', 'vmrestore', 'disk-restore']);
  const restoredClaim = `restore-${restore.metadata.uid}-data`;
  const claimOfVm = await fixture.kubectl([
    'get',
    'vm',
    'vm-disk',
    '-o',
    "jsonpath={.spec.template.spec.volumes[?(@.name=='data')].persistentVolumeClaim.claimName}",
  ]);
  t.equal(claimOfVm.stdout, restoredClaim);
  const claim = await json<{ spec: { dataSource: Record<string, string> } }>(['get', 'pvc', restoredClaim]);
  t.same(claim.spec.dataSource, { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: volumeSnapshotName });

  t.equal((await fixture.kubectl(['patch', 'vm', 'vm-disk', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Always"}}'])).code, 0);
  await wait(['vmi/vm-disk', '--for=jsonpath={.status.phase}=Running']);
  await wait([`pvc/${restoredClaim}`, '--for=jsonpath={.status.phase}=Bound']);
});
