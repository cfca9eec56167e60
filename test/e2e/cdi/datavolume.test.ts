/**
 * The simulated CDI (`installCdi`), driven with the real kubectl as a user of a kind cluster with CDI
 * does. What is asserted comes from CDI v1.64.0's source: phases, events and conditions from
 * pkg/controller/datavolume (controller-base.go updateStatus, import-controller.go updateStatusPhase,
 * clone-controller-base.go, conditions.go), claim annotations from pkg/controller/common/util.go, the
 * importer's running condition from pkg/controller/util.go (PodRunningReason, ImportCompleteMessage).
 * KubeVirt's side from v1.9.0-rc.2: vm.go handleDataVolumes and setPrintableStatus, vmi/lifecycle.go (the
 * WaitForFirstConsumer temporary pod, Provisioning), vmi/datavolumes.go aggregateDataVolumesConditions,
 * pkg/storage/types (HasDataVolumeProvisioning).
 */
import t from 'tap';
import { stringify } from 'yaml';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 1, installCdi: true, installKubeVirt: true });
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await fixture.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const apply = (objects: object[]) => kubectl(['apply', '-f', '-'], objects.map((o) => stringify(o)).join('---\n'));
const json = async <T>(args: string[]): Promise<T> => JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
const wait = (args: string[]) => kubectl(['wait', ...args, '--timeout=30s']);

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
}
interface DataVolume {
  status?: { phase?: string; progress?: string; claimName?: string; conditions?: Condition[] };
}

const dataVolume = (name: string, source: object, storage: object = { resources: { requests: { storage: '1Gi' } } }) => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata: { name, namespace: 'default' },
  spec: { source, storage },
});

const conditionsOf = (dv: DataVolume) =>
  Object.fromEntries((dv.status?.conditions ?? []).map((c) => [c.type, { status: c.status, reason: c.reason, message: c.message }]));

/** The DataVolume's events in the order they were recorded (resourceVersion: creationTimestamp has whole seconds). */
async function eventsOf(name: string): Promise<string[]> {
  const list = await json<{ items: Array<{ type: string; reason: string; message: string; metadata: { resourceVersion: string } }> }>([
    'get',
    'events',
    '--field-selector',
    `involvedObject.kind=DataVolume,involvedObject.name=${name}`,
  ]);
  return list.items
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => `${e.type} ${e.reason} ${e.message}`);
}

/** A pod mounting the claim: the first consumer a late-binding claim waits for (virt-launcher, for a VM's disk). */
const consumer = (name: string, claimName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'disk', mountPath: '/disk' }] }],
    volumes: [{ name: 'disk', persistentVolumeClaim: { claimName } }],
  },
});

t.test('CDI is Deployed and every StorageClass has its StorageProfile', async (t) => {
  await wait(['cdi', 'cdi', '--for', 'condition=Available']);
  const cdi = await json<{ status: { phase: string; observedVersion: string } }>(['get', 'cdi', 'cdi']);
  t.equal(cdi.status.phase, 'Deployed');
  await wait(['storageprofile', 'standard', '--for', 'jsonpath={.status.provisioner}=rancher.io/local-path']);
  const profile = await json<{ status: Record<string, unknown> }>(['get', 'storageprofile', 'standard']);
  // storagecapabilities: rancher.io/local-path is ReadWriteOnce / Filesystem.
  t.same(profile.status.claimPropertySets, [{ accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' }]);
  t.equal(profile.status.storageClass, 'standard');
  const config = await json<{ status: { filesystemOverhead: { global: string } } }>(['get', 'cdiconfig', 'config']);
  t.equal(config.status.filesystemOverhead.global, '0.06');
});

t.test('an import into the late-binding default class waits for its first consumer, then imports', async (t) => {
  await apply([dataVolume('fedora', { http: { url: 'https://example.invalid/fedora.qcow2' } })]);
  await wait(['dv', 'fedora', '--for', 'jsonpath={.status.phase}=WaitForFirstConsumer']);
  const waiting = await json<DataVolume>(['get', 'dv', 'fedora']);
  t.equal(waiting.status?.progress, 'N/A');
  t.same(conditionsOf(waiting), {
    Bound: { status: 'False', reason: 'Pending', message: 'PVC fedora Pending' },
    Ready: { status: 'False', reason: undefined, message: undefined },
    Running: { status: 'False', reason: undefined, message: undefined },
  });
  const pvc = await json<{
    metadata: { annotations: Record<string, string>; labels: Record<string, string>; ownerReferences: Array<{ kind: string }> };
    spec: Record<string, unknown>;
  }>(['get', 'pvc', 'fedora']);
  t.match(pvc.metadata.annotations, {
    'cdi.kubevirt.io/storage.import.source': 'http',
    'cdi.kubevirt.io/storage.import.endpoint': 'https://example.invalid/fedora.qcow2',
    'cdi.kubevirt.io/storage.contentType': 'kubevirt',
  });
  t.equal(pvc.metadata.labels.app, 'containerized-data-importer');
  t.equal(pvc.metadata.ownerReferences[0]?.kind, 'DataVolume');
  t.match(pvc.spec, { accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', storageClassName: 'standard' });

  // A consumer pod binds the claim (the scheduler picks its node); the import then runs.
  await apply([consumer('consumer', 'fedora')]);
  await wait(['dv', 'fedora', '--for', 'condition=Ready']);
  const done = await json<DataVolume>(['get', 'dv', 'fedora']);
  t.equal(done.status?.phase, 'Succeeded');
  t.equal(done.status?.progress, '100.0%');
  t.equal(done.status?.claimName, 'fedora');
  t.same(conditionsOf(done), {
    Bound: { status: 'True', reason: 'Bound', message: 'PVC fedora Bound' },
    Ready: { status: 'True', reason: undefined, message: undefined },
    Running: { status: 'False', reason: 'Completed', message: 'Import Complete' },
  });
  t.same(await eventsOf('fedora'), [
    'Normal Pending PVC fedora Pending',
    'Normal Bound PVC fedora Bound',
    'Normal ImportScheduled Import into fedora scheduled',
    'Normal ImportInProgress Import into fedora in progress',
    'Normal ImportSucceeded Successfully imported into PVC fedora',
  ]);
  const table = await kubectl(['get', 'dv', 'fedora']);
  t.match(table, /NAME\s+PHASE\s+PROGRESS\s+RESTARTS\s+AGE\nfedora\s+Succeeded\s+100\.0%\s+0?\s/);
});

t.test('a blank disk is imported; a clone of it copies it; a clone of a missing claim waits', async (t) => {
  await apply([dataVolume('blank', { blank: {} }), consumer('blank-user', 'blank')]);
  await wait(['dv', 'blank', '--for', 'jsonpath={.status.phase}=Succeeded']);
  const blankClaim = await json<{ metadata: { annotations: Record<string, string> } }>(['get', 'pvc', 'blank']);
  t.equal(blankClaim.metadata.annotations['cdi.kubevirt.io/storage.import.source'], 'none');

  await apply([dataVolume('copy', { pvc: { namespace: 'default', name: 'blank' } }), consumer('copy-user', 'copy')]);
  await wait(['dv', 'copy', '--for', 'jsonpath={.status.phase}=Succeeded']);
  t.same(
    (await eventsOf('copy')).filter((e) => e.includes('Clon')),
    [
      'Normal CloneScheduled Cloning from default/blank into default/copy scheduled',
      'Normal CloneInProgress Cloning from default/blank into default/copy in progress',
      'Normal CloneSucceeded Successfully cloned from default/blank into default/copy',
    ],
  );
  const copy = await json<DataVolume & { metadata: { annotations?: Record<string, string> } }>(['get', 'pvc', 'copy']);
  t.equal(copy.metadata.annotations?.['k8s.io/CloneRequest'], 'default/blank');
  t.equal(conditionsOf(await json<DataVolume>(['get', 'dv', 'copy'])).Running?.message, 'Clone Complete');

  await apply([dataVolume('orphan-copy', { pvc: { namespace: 'default', name: 'missing' } })]);
  await wait(['dv', 'orphan-copy', '--for', 'jsonpath={.status.phase}=Pending']);
  // The Bound condition's event (emitBoundConditionEvent), and the clone's warning, repeated while the source is missing.
  t.same((await eventsOf('orphan-copy')).sort(), [
    'Normal NotFound No PVC found',
    "Warning CloneWithoutSource The source pvc missing doesn't exist",
  ]);
});

const vmWithDisk = (name: string, dvName: string, dvSpec: object, runStrategy = 'Always') => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name, namespace: 'default' },
  spec: {
    runStrategy,
    dataVolumeTemplates: [{ metadata: { name: dvName }, spec: dvSpec }],
    template: {
      spec: {
        domain: { devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] }, resources: { requests: { memory: '128Mi' } } },
        volumes: [{ name: 'root', dataVolume: { name: dvName } }],
      },
    },
  },
});

interface Vmi {
  status?: { phase?: string; conditions?: Condition[] & Array<{ lastProbeTime?: string | null }> };
}

async function eventsAbout(kind: string, name: string): Promise<string[]> {
  const list = await json<{ items: Array<{ reason: string; message: string; metadata: { resourceVersion: string } }> }>([
    'get',
    'events',
    '--field-selector',
    `involvedObject.kind=${kind},involvedObject.name=${name}`,
  ]);
  return list.items
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => `${e.reason} ${e.message}`);
}

t.test(
  'a VM with dataVolumeTemplates: the DataVolume waits for its first consumer, a temporary pod binds it, then the VM runs',
  async (t) => {
    await apply([vmWithDisk('fedora-vm', 'fedora-root', { source: { http: { url: 'https://example.invalid/f.qcow2' } }, storage: {} })]);
    await wait(['vmi', 'fedora-vm', '--for', 'condition=Ready']);
    const dv = await json<DataVolume & { metadata: { ownerReferences: Array<{ kind: string; name: string; controller: boolean }> } }>([
      'get',
      'dv',
      'fedora-root',
    ]);
    t.equal(dv.status?.phase, 'Succeeded');
    t.match(dv.metadata.ownerReferences, [{ kind: 'VirtualMachine', name: 'fedora-vm', controller: true }]);
    t.match(await eventsAbout('VirtualMachine', 'fedora-vm'), ['SuccessfulDataVolumeCreate Created DataVolume fedora-root']);

    // The first launcher pod is the WaitForFirstConsumer "doppelganger": it binds the claim, then goes for the real one.
    const vmiEvents = await eventsAbout('VirtualMachineInstance', 'fedora-vm');
    const created = vmiEvents.filter((e) => e.startsWith('SuccessfulCreate Created virtual machine pod '));
    t.equal(created.length, 2, vmiEvents.join('\n'));
    const temporary = created[0]?.split(' ').at(-1) ?? '';
    t.ok(vmiEvents.includes(`SuccessfulDelete Deleted WaitForFirstConsumer temporary pod ${temporary}`), vmiEvents.join('\n'));
    const pods = await json<{ items: Array<{ metadata: { name: string } }> }>(['get', 'pods', '-l', 'kubevirt.io/created-by']);
    t.same(
      pods.items.map((p) => p.metadata.name).filter((n) => n.startsWith('virt-launcher-fedora-vm-')),
      [created[1]?.split(' ').at(-1)],
    );

    const vmi = await json<Vmi>(['get', 'vmi', 'fedora-vm']);
    t.same(
      vmi.status?.conditions?.find((c) => c.type === 'DataVolumesReady'),
      {
        type: 'DataVolumesReady',
        status: 'True',
        reason: 'AllDVsReady',
        message: "All of the VMI's DVs are bound and ready",
        lastProbeTime: null,
        lastTransitionTime: null,
      },
    );
    t.notOk(
      vmi.status?.conditions?.some((c) => c.type === 'Provisioning'),
      'Provisioning is gone once the VMI is scheduled',
    );
    await wait(['vm', 'fedora-vm', '--for', 'jsonpath={.status.printableStatus}=Running']);
  },
);

t.test('a DataVolume that cannot bind: the VM is Provisioning, a VMI using it stays Pending with DataVolumesReady False', async (t) => {
  // local-path provisions only for a selected node: an Immediate claim stays Pending ("no node was specified").
  await apply([
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'immediate' },
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'Immediate',
    },
    vmWithDisk('stuck-vm', 'stuck-root', { source: { blank: {} }, storage: { storageClassName: 'immediate' } }),
  ]);
  await wait(['vm', 'stuck-vm', '--for', 'jsonpath={.status.printableStatus}=Provisioning']);
  t.equal((await kubectl(['get', 'vmi', '--ignore-not-found', 'stuck-vm'])).trim(), '', 'no VMI until the DataVolume is ready');

  await apply([
    {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'waiting-vmi', namespace: 'default' },
      spec: {
        domain: { devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] }, resources: { requests: { memory: '128Mi' } } },
        volumes: [{ name: 'root', dataVolume: { name: 'stuck-root' } }],
      },
    },
  ]);
  await wait(['vmi', 'waiting-vmi', '--for', 'condition=DataVolumesReady=False']);
  const vmi = await json<Vmi>(['get', 'vmi', 'waiting-vmi']);
  t.equal(vmi.status?.phase, 'Pending');
  t.same(
    vmi.status?.conditions?.find((c) => c.type === 'DataVolumesReady'),
    {
      type: 'DataVolumesReady',
      status: 'False',
      reason: 'NotAllDVsReady',
      message: "Not all of the VMI's DVs are ready",
      lastProbeTime: null,
      lastTransitionTime: null,
    },
  );
  t.equal((await kubectl(['get', 'pods', '-l', 'kubevirt.io/created-by', '-o', 'name'])).includes('waiting-vmi'), false);
});

t.test('a VirtualMachinePool with dataVolumeTemplates gives each VM its own DataVolume and starts them', async (t) => {
  // pool.go indexes each template's DataVolume name per VM ("<name>-<index>") and the volume that refers to it.
  const { spec } = vmWithDisk('unused', 'pool-root', { source: { blank: {} }, storage: {} });
  await apply([
    {
      apiVersion: 'pool.kubevirt.io/v1beta1',
      kind: 'VirtualMachinePool',
      metadata: { name: 'disks', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'kubevirt.io/vmpool': 'disks' } },
        virtualMachineTemplate: { metadata: { labels: { 'kubevirt.io/vmpool': 'disks' } }, spec },
      },
    },
  ]);
  for (const index of [0, 1]) {
    await wait(['vm', `disks-${index}`, '--for', 'jsonpath={.status.printableStatus}=Running']);
    const dv = await json<DataVolume & { metadata: { ownerReferences: Array<{ kind: string; name: string }> } }>([
      'get',
      'dv',
      `pool-root-${index}`,
    ]);
    t.equal(dv.status?.phase, 'Succeeded');
    t.match(dv.metadata.ownerReferences, [{ kind: 'VirtualMachine', name: `disks-${index}` }]);
  }
  const vmi = await json<{ spec: { volumes: Array<{ dataVolume?: { name: string } }> } }>(['get', 'vmi', 'disks-1']);
  t.same(vmi.spec.volumes[0]?.dataVolume, { name: 'pool-root-1' });
});
