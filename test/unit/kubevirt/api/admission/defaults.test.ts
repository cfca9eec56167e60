import t from 'tap';
import type { KubeObject } from '../../../../../src/api/types.js';
import { TYPES, example, startAdmissionHarness } from './harness.js';

const harness = await startAdmissionHarness();
t.teardown(() => harness.stop());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- admitted objects are read field by field
type Json = Record<string, any>;
type Test = Pick<typeof t, 'equal' | 'same' | 'match'>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const admitVmi = async (file: string): Promise<Json> =>
  (await harness.admit(TYPES.vmi, { ...example(file), metadata: { ...example(file).metadata, namespace: 'default' } })) as Json;

/** The defaults every VMI gets (reference §3.1), given its guest memory and whether memory hotplug applies. */
function checkCommonVmiDefaults(t: Test, vmi: Json, guest: string): void {
  const spec = vmi.spec;
  t.equal(spec.architecture, 'amd64');
  t.equal(spec.evictionStrategy, 'None');
  t.same(spec.domain.machine, { type: 'q35' });
  t.same(spec.domain.cpu, { cores: 1, threads: 1, sockets: 1, model: 'host-model', maxSockets: 4 });
  t.equal(spec.domain.memory.guest, guest);
  t.match(spec.domain.firmware.uuid, UUID);
  t.same(spec.domain.features, { acpi: { enabled: true } });
  t.equal(vmi.metadata.annotations['kubevirt.io/pci-topology-version'], 'v3');
  t.same(vmi.metadata.finalizers, ['kubevirt.io/foregroundDeleteVirtualMachine']);
  t.equal(vmi.status.phase, 'Pending');
  t.same(
    vmi.status.phaseTransitionTimestamps.map((p: Json) => p.phase),
    ['Pending'],
  );
  t.same(vmi.status.currentCPUTopology, { sockets: 1, cores: 1, threads: 1 });
  t.same(vmi.status.memory, { guestAtBoot: guest, guestCurrent: guest, guestRequested: guest });
  t.same(vmi.status.guestOSInfo, {});
  t.equal(vmi.status.runtimeUser, 107);
}

t.test('vmi-fedora', async (t) => {
  const vmi = await admitVmi('vmi-fedora.yaml');
  checkCommonVmiDefaults(t, vmi, '1024M');
  t.notOk(vmi.spec.domain.memory.maxGuest, '1024M is below 1Gi: no memory hotplug');
  t.same(
    vmi.spec.domain.devices.disks,
    [
      { name: 'containerdisk', disk: { bus: 'virtio' } },
      { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
    ],
    'explicit buses stay',
  );
  t.same(vmi.spec.domain.devices.interfaces, [{ name: 'default', masquerade: {} }], 'given interfaces are kept');
  t.same(vmi.spec.networks, [{ name: 'default', pod: {} }]);
  t.equal(vmi.spec.volumes[0].containerDisk.imagePullPolicy, 'IfNotPresent', 'tag devel');
});

t.test('vmi-masquerade', async (t) => {
  const vmi = await admitVmi('vmi-masquerade.yaml');
  checkCommonVmiDefaults(t, vmi, '1024M');
  t.same(vmi.spec.domain.devices.interfaces[0].ports, [{ name: 'http', port: 80, protocol: 'TCP' }]);
  t.same(vmi.spec.networks, [{ name: 'testmasquerade', pod: {} }]);
});

t.test('vmi-migratable', async (t) => {
  const vmi = await admitVmi('vmi-migratable.yaml');
  checkCommonVmiDefaults(t, vmi, '128Mi');
  t.notOk(vmi.spec.domain.memory.maxGuest);
});

t.test('a bare VMI gets the pod network with the cluster default binding (bridge) and sata disks', async (t) => {
  const bare: KubeObject = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'bare', namespace: 'default' },
    spec: {
      domain: { resources: { requests: { memory: '2Gi', cpu: '1500m' } } },
      volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/containerdisks/fedora:latest' } }],
    },
  };
  const vmi = (await harness.admit(TYPES.vmi, bare)) as Json;
  t.same(vmi.spec.domain.devices.interfaces, [{ name: 'default', bridge: {} }]);
  t.same(vmi.spec.networks, [{ name: 'default', pod: {} }]);
  t.same(vmi.spec.domain.devices.disks, [{ name: 'containerdisk', disk: { bus: 'sata' } }]);
  t.equal(vmi.spec.volumes[0].containerDisk.imagePullPolicy, 'Always', 'tag latest');
  t.same(vmi.spec.domain.cpu, { cores: 1, threads: 1, sockets: 2, model: 'host-model', maxSockets: 8 }, '1500m rounds up to 2 sockets');
  t.same(vmi.spec.domain.memory, { guest: '2Gi', maxGuest: '8Gi' }, 'memory hotplug from 1Gi on');
  t.equal(vmi.status.runtimeUser, 107);
});

t.test('vm-cirros: the VM mutator sets firmware and machine, nothing of the VMI defaults', async (t) => {
  const vm = (await harness.admit(TYPES.vm, {
    ...example('vm-cirros.yaml'),
    metadata: { ...example('vm-cirros.yaml').metadata, namespace: 'default' },
  })) as Json;
  const template = vm.spec.template;
  t.equal(template.spec.architecture, 'amd64');
  t.same(template.spec.domain.machine, { type: 'q35' });
  t.match(template.spec.domain.firmware.uuid, UUID);
  t.match(template.spec.domain.firmware.serial, UUID);
  t.not(template.spec.domain.firmware.uuid, template.spec.domain.firmware.serial);
  t.equal(template.metadata.annotations['kubevirt.io/pci-topology-version'], 'v3');
  t.notOk(template.spec.domain.cpu, 'no CPU topology on the template');
  t.notOk(template.spec.networks, 'no default network on the template');
  t.same(template.spec.domain.devices.disks[0], { disk: { bus: 'virtio' }, name: 'containerdisk' });
  t.equal(vm.spec.runStrategy, 'Halted');
});

t.test('migrations get the VMI label and the finalizer', async (t) => {
  // A VMI to migrate, so the create validator admits the migration.
  await harness.emulator.client.create({ ...example('vmi-migratable.yaml'), metadata: { name: 'vmi-migratable', namespace: 'default' } });
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  const migration = (await harness.admit(TYPES.migration, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { name: 'mig', namespace: 'default' },
    spec: { vmiName: 'vmi-migratable' },
  })) as Json;
  t.equal(migration.metadata.labels['kubevirt.io/vmi-name'], 'vmi-migratable');
  t.same(migration.metadata.finalizers, ['kubevirt.io/migrationJobFinalize']);
});
