/**
 * VMs on plain PersistentVolumeClaims (no DataVolume), with the real kubectl:
 * the default class binds when the launcher pod is scheduled and the VMI's
 * volumeStatus carries the claim's info; an Immediate claim with no volume keeps
 * the launcher pod Pending and the VMI Scheduling until a volume appears.
 */
import t from 'tap';
import { stringify } from 'yaml';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 2, installKubeVirt: true });
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
  // metav1.Time unset: Go writes null, and the CRD declares the field nullable, so the apiserver keeps it.
  t.equal((scheduled as { lastProbeTime?: unknown } | undefined)?.lastProbeTime, null, 'lastProbeTime: null is stored');
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

/**
 * Volume hotplug as virtctl addvolume/removevolume drive it (pkg/virtctl/vm/add_volume.go: a PUT of AddVolumeOptions to
 * virtualmachines/<vm>/addvolume, falling back to the VMI path only for a standalone VMI), answered as virt-api's
 * pkg/virt-api/rest/volumes.go does; with DeclarativeHotplugVolumes (Beta in v1.9) the VM template changes and
 * virt-controller carries it to the VMI (pkg/storage/hotplug/hotplug.go), an hp-volume-* attachment pod owned by the
 * launcher pod mounts the claim (RenderHotplugAttachmentPodTemplate), and the volume status goes
 * AttachedToNode -> MountedToPod -> Ready (virt-controller storage.go, virt-handler vm.go updateHotplugVolumeStatus).
 */
t.test('addvolume and removevolume on a running VM', async (t) => {
  const subresource = (kind: string, name: string, action: string, body: object) =>
    fixture.kubectl(['replace', '--raw', `/apis/subresources.kubevirt.io/v1/namespaces/default/${kind}/${name}/${action}`, '-f', '-'], {
      input: JSON.stringify(body),
    });
  const addOptions = (name: string) => ({
    name,
    disk: { name, disk: { bus: 'scsi' }, serial: name },
    volumeSource: { persistentVolumeClaim: { claimName: name, hotpluggable: true } },
  });
  await apply([
    claim('hp-data'),
    {
      ...vmWithClaim('vm-hp', 'unused'),
      spec: {
        runStrategy: 'Always',
        template: {
          spec: {
            domain: {
              devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] },
              resources: { requests: { memory: '128Mi' } },
            },
            volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }],
          },
        },
      },
    },
  ]);
  await wait(['vmi/vm-hp', '--for=jsonpath={.status.phase}=Running']);

  const noName = await subresource('virtualmachines', 'vm-hp', 'addvolume', {});
  t.match(noName.stderr, /AddVolumeOptions requires name to be set/);
  const noDisk = await subresource('virtualmachines', 'vm-hp', 'addvolume', { name: 'x' });
  t.match(noDisk.stderr, /AddVolumeOptions requires disk to not be nil/);
  const onVmi = await subresource('virtualmachineinstances', 'vm-hp', 'addvolume', addOptions('hp-data'));
  t.match(onVmi.stderr, /BadRequest.*VMI default\/vm-hp is owned by a VM/, 'the VMI path is only for standalone VMIs');
  const notHotpluggable = await subresource('virtualmachines', 'vm-hp', 'removevolume', { name: 'containerdisk' });
  t.match(notHotpluggable.stderr, /Conflict.*Unable to remove volume \[containerdisk\] because it is not hotpluggable/);
  const missing = await subresource('virtualmachines', 'nope', 'addvolume', addOptions('hp-data'));
  t.match(missing.stderr, /NotFound.*virtualmachine.kubevirt.io "nope" not found/);

  const dryRun = await subresource('virtualmachines', 'vm-hp', 'addvolume', { ...addOptions('hp-data'), dryRun: ['All'] });
  t.equal(dryRun.code, 0, dryRun.stderr);
  const unchanged = await json<{ spec: { template: { spec: { volumes: unknown[] } } } }>(['get', 'vm', 'vm-hp']);
  t.equal(unchanged.spec.template.spec.volumes.length, 1, 'a dry run changes nothing');

  const added = await subresource('virtualmachines', 'vm-hp', 'addvolume', addOptions('hp-data'));
  t.equal(added.code, 0, added.stderr);
  const again = await subresource('virtualmachines', 'vm-hp', 'addvolume', addOptions('hp-data'));
  t.match(again.stderr, /Conflict.*Unable to add volume \[hp-data\] because volume with that name already exists/);
  const vm = await json<{ spec: { template: { spec: { volumes: unknown[]; domain: { devices: { disks: unknown[] } } } } } }>([
    'get',
    'vm',
    'vm-hp',
  ]);
  t.same(vm.spec.template.spec.volumes[1], { name: 'hp-data', persistentVolumeClaim: { claimName: 'hp-data', hotpluggable: true } });
  t.same(vm.spec.template.spec.domain.devices.disks[1], { name: 'hp-data', disk: { bus: 'scsi' }, serial: 'hp-data' });

  await wait(['vmi/vm-hp', '--for=jsonpath={.status.volumeStatus[?(@.name=="hp-data")].phase}=Ready']);
  type HotplugStatus = {
    name: string;
    target: string;
    phase: string;
    reason: string;
    message: string;
    hotplugVolume: { attachPodName: string; attachPodUID: string };
  };
  const vmi = await json<{ spec: { volumes: Array<{ name: string }> }; status: { volumeStatus: HotplugStatus[]; nodeName: string } }>([
    'get',
    'vmi',
    'vm-hp',
  ]);
  t.ok(
    vmi.spec.volumes.some((v) => v.name === 'hp-data'),
    'the VMI got the volume',
  );
  const status = vmi.status.volumeStatus.find((v) => v.name === 'hp-data')!;
  t.match(status, {
    target: 'sda',
    phase: 'Ready',
    reason: 'VolumeReady',
    message: 'Successfully attach hotplugged volume hp-data to VM',
    hotplugVolume: { attachPodName: /^hp-volume-/ },
    persistentVolumeClaimInfo: { claimName: 'hp-data' },
  });
  type PodList = {
    items: Array<{
      metadata: { name: string; uid: string; labels: Record<string, string>; ownerReferences: Array<{ kind: string; name: string }> };
      spec: { nodeName: string; volumes: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> };
    }>;
  };
  const pods = await json<PodList>(['get', 'pods', '-l', 'kubevirt.io=hotplug-disk']);
  const attachment = pods.items.find((p) => p.metadata.name === status.hotplugVolume.attachPodName)!;
  t.ok(attachment, 'the attachment pod exists');
  t.equal(status.hotplugVolume.attachPodUID, attachment.metadata.uid);
  t.match(attachment.metadata.ownerReferences, [{ kind: 'Pod', name: /^virt-launcher-vm-hp-/ }]);
  t.equal(attachment.spec.nodeName, vmi.status.nodeName, 'on the launcher node');
  t.ok(attachment.spec.volumes.some((v) => v.persistentVolumeClaim?.claimName === 'hp-data'));
  const events = await json<{ items: Array<{ reason: string; message: string }> }>([
    'get',
    'events',
    '--field-selector',
    'involvedObject.kind=VirtualMachineInstance,involvedObject.name=vm-hp',
  ]);
  const messages = events.items.map((e) => `${e.reason}: ${e.message}`);
  t.ok(messages.includes(`SuccessfulCreate: Created hotplug attachment pod ${attachment.metadata.name}, for volume hp-data`));
  t.ok(messages.includes('VolumeMountedToPod: Volume hp-data has been mounted in virt-launcher pod'));

  const removed = await subresource('virtualmachines', 'vm-hp', 'removevolume', { name: 'hp-data' });
  t.equal(removed.code, 0, removed.stderr);
  await wait(['vmi/vm-hp', '--for=jsonpath={.status.volumeStatus[*].name}=containerdisk']);
  const after = await json<PodList>(['get', 'pods', '-l', 'kubevirt.io=hotplug-disk']);
  t.equal(after.items.length, 0, 'the attachment pod is gone');
  const laterEvents = await json<{ items: Array<{ reason: string; message: string }> }>([
    'get',
    'events',
    '--field-selector',
    'involvedObject.kind=VirtualMachineInstance,involvedObject.name=vm-hp',
  ]);
  const later = laterEvents.items.map((e) => `${e.reason}: ${e.message}`);
  t.ok(later.includes('VolumeUnMountedFromPod: Volume hp-data has been unmounted from virt-launcher pod'));
  t.ok(later.includes(`SuccessfulDelete: Deleted attachment pod ${attachment.metadata.name}`));
  const gone = await subresource('virtualmachines', 'vm-hp', 'removevolume', { name: 'hp-data' });
  t.match(gone.stderr, /Conflict.*Unable to remove volume \[hp-data\] because it does not exist/);
});

/**
 * virtctl memory-dump get/remove (pkg/virtctl/memorydump: PUT virtualmachines/<vm>/memorydump with
 * {claimName}, PUT .../removememorydump), answered as pkg/virt-api/rest/memorydump.go does; the request goes
 * Associating -> InProgress -> Unmounting -> Completed (pkg/storage/memorydump/memorydump.go), the claim is hotplugged
 * as a memoryDump volume and annotated kubevirt.io/memory-dump with the dump file (virt-handler's dumpTargetFile).
 * Uses the VM of the previous test, still running.
 */
t.test('memorydump and removememorydump on a running VM', async (t) => {
  const put = (action: string, body?: object) =>
    fixture.kubectl(
      ['replace', '--raw', `/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/vm-hp/${action}`, '-f', '-'],
      {
        input: JSON.stringify(body ?? {}),
      },
    );
  await apply([
    { ...claim('dump-small'), spec: { ...claim('dump-small').spec, resources: { requests: { storage: '200Mi' } } } },
    claim('dump-data'),
  ]);
  t.match((await put('memorydump', {})).stderr, /BadRequest.*Memory dump requires claim name to be set/);
  t.match((await put('memorydump', { claimName: 'nope' })).stderr, /NotFound.*persistentvolumeclaim.kubevirt.io "nope" not found/);
  t.match(
    (await put('memorydump', { claimName: 'dump-small' })).stderr,
    /Conflict.*persistentvolumeclaim.kubevirt.io "dump-small": pvc size \[209716k\] should be bigger then \[241Mi\]/,
  );
  t.match((await put('removememorydump')).stderr, /Conflict.*can't remove memory dump association for vm vm-hp, no association found/);

  const requested = await put('memorydump', { claimName: 'dump-data' });
  t.equal(requested.code, 0, requested.stderr);
  await wait(['vm/vm-hp', '--for=jsonpath={.status.memoryDumpRequest.phase}=Completed']);
  type Vm = {
    spec: { template: { spec: { volumes: Array<{ name: string; memoryDump?: object }> } } };
    status: { memoryDumpRequest?: Record<string, unknown> };
  };
  const vm = await json<Vm>(['get', 'vm', 'vm-hp']);
  const request = vm.status.memoryDumpRequest!;
  t.match(request, { claimName: 'dump-data', phase: 'Completed', fileName: /^vm-hp-dump-data-\d{8}-\d{6}\.memory\.dump$/ });
  t.ok(request.startTimestamp && request.endTimestamp, 'start and end recorded');
  t.same(
    vm.spec.template.spec.volumes.find((v) => v.name === 'dump-data'),
    { name: 'dump-data', memoryDump: { claimName: 'dump-data', hotpluggable: true } },
    'the dump volume stays in the template until removememorydump',
  );
  const pvc = await json<{ metadata: { annotations: Record<string, string> } }>(['get', 'pvc', 'dump-data']);
  t.equal(pvc.metadata.annotations['kubevirt.io/memory-dump'], request.fileName);
  const vmi = await json<{ spec: { volumes: Array<{ name: string }> } }>(['get', 'vmi', 'vm-hp']);
  t.notOk(
    vmi.spec.volumes.some((v) => v.name === 'dump-data'),
    'unplugged from the VMI once written',
  );
  t.match((await put('memorydump', { claimName: 'dump-small' })).stderr, /Conflict.*while pvc \[dump-data\] is still associated/);

  const removed = await put('removememorydump');
  t.equal(removed.code, 0, removed.stderr);
  // kubectl wait cannot wait for a field to go away: poll.
  let after = await json<Vm>(['get', 'vm', 'vm-hp']);
  for (let i = 0; i < 50 && after.status.memoryDumpRequest; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    after = await json<Vm>(['get', 'vm', 'vm-hp']);
  }
  t.notOk(
    after.spec.template.spec.volumes.some((v) => v.name === 'dump-data'),
    'the template no longer has it',
  );
  t.equal(after.status.memoryDumpRequest, undefined);
});
