import t from 'tap';
import { StatusError } from '../../../../../src/api/errors.js';
import type { KubeObject } from '../../../../../src/api/types.js';
import { TYPES, startAdmissionHarness } from './harness.js';

const harness = await startAdmissionHarness();
t.teardown(() => harness.stop());

type Spec = Record<string, unknown>;
const disk = (name: string, target: Spec = { disk: {} }) => ({ name, ...target });
const containerDisk = (name = 'root') => ({ name, containerDisk: { image: 'quay.io/containerdisks/fedora:41' } });
const baseSpec = (): Spec => ({
  domain: { devices: { disks: [disk('root')] }, resources: { requests: { memory: '128Mi' } } },
  volumes: [containerDisk()],
});
const withDomain = (domain: Spec, rest: Spec = {}): Spec => {
  const spec = baseSpec();
  return { ...spec, ...rest, domain: { ...(spec.domain as Spec), ...domain } };
};
const vmi = (spec: Spec, metadata: Spec = {}): KubeObject => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'testvmi', ...metadata }, spec });
const vm = (spec: Spec, template: Spec | null = { spec: baseSpec() }): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'testvm' },
  spec: { ...(template ? { template } : {}), ...spec },
});
const vmWith = (templateSpec: Spec) => vm({ runStrategy: 'Always' }, { spec: templateSpec });

interface Case {
  what: string;
  object: KubeObject;
  webhook: string;
  message: string;
  code?: number;
}

const vmiValidator = 'virtualmachineinstances-create-validator.kubevirt.io';
const vmValidator = 'virtualmachine-validator.kubevirt.io';

const cases: Case[] = [
  { what: 'no memory', object: vmi({ domain: { devices: {} } }), webhook: vmiValidator, message: "no memory requested, at least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.pageSize' or 'spec.domain.resources.requests.memory' must be set" },
  { what: 'disk without volume', object: vmi(withDomain({ devices: { disks: [disk('root'), disk('data')] } })), webhook: vmiValidator, message: "spec.domain.devices.disks[1].Name 'data' not found." },
  { what: 'duplicate volumes', object: vmi({ ...baseSpec(), volumes: [containerDisk(), containerDisk()] }), webhook: vmiValidator, message: 'spec.volumes[1] and spec.volumes[0] must not have the same Name.' },
  { what: 'duplicate disks', object: vmi(withDomain({ devices: { disks: [disk('root'), disk('root')] } })), webhook: vmiValidator, message: 'spec.domain.devices.disks[1] and spec.domain.devices.disks[0] must not have the same Name.' },
  { what: 'two volume sources', object: vmi({ ...baseSpec(), volumes: [{ ...containerDisk(), emptyDisk: { capacity: '1Gi' } }] }), webhook: vmiValidator, message: 'spec.volumes[0] must have exactly one source type set' },
  { what: 'dataVolume without name', object: vmi({ ...baseSpec(), volumes: [{ name: 'root', dataVolume: {} }] }), webhook: vmiValidator, message: "DataVolume 'name' must be set" },
  { what: 'two disk targets', object: vmi(withDomain({ devices: { disks: [disk('root', { disk: {}, cdrom: {} })] } })), webhook: vmiValidator, message: 'spec.domain.devices.disks[0] can only have a single target type defined' },
  { what: 'ide bus', object: vmi(withDomain({ devices: { disks: [disk('root', { disk: { bus: 'ide' } })] } })), webhook: vmiValidator, message: 'IDE bus is not supported' },
  { what: 'virtio cdrom', object: vmi(withDomain({ devices: { disks: [disk('root', { cdrom: { bus: 'virtio' } })] } })), webhook: vmiValidator, message: 'Bus type virtio is invalid for CD-ROM device' },
  { what: 'unknown bus', object: vmi(withDomain({ devices: { disks: [disk('root', { disk: { bus: 'foo' } })] } })), webhook: vmiValidator, message: 'spec.domain.devices.disks[0] is set with an unrecognized bus foo, must be one of: [virtio scsi sata usb]' },
  { what: 'read-only sata', object: vmi(withDomain({ devices: { disks: [disk('root', { disk: { bus: 'sata', readonly: true } })] } })), webhook: vmiValidator, message: 'sata hard-disks do not support read-only.' },
  { what: 'boot order 0', object: vmi(withDomain({ devices: { disks: [disk('root', { disk: {}, bootOrder: 0 })] } })), webhook: vmiValidator, message: 'spec.domain.devices.disks[0] must have a boot order > 0, if supplied' },
  {
    what: 'network without interface',
    object: vmi({ ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'default', masquerade: {} }] } }), networks: [{ name: 'default', pod: {} }, { name: 'extra', multus: { networkName: 'x' } }] }),
    webhook: vmiValidator,
    message: "spec.networks[1].name 'extra' not found.",
  },
  {
    what: 'interface without network',
    object: vmi({ ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'default', masquerade: {} }, { name: 'other', bridge: {} }] } }), networks: [{ name: 'default', pod: {} }] }),
    webhook: vmiValidator,
    message: "spec.domain.devices.interfaces[1].name 'other' not found.",
  },
  {
    what: 'duplicate networks',
    object: vmi({ ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'default', masquerade: {} }] } }), networks: [{ name: 'default', pod: {} }, { name: 'default', pod: {} }] }),
    webhook: vmiValidator,
    message: 'Network with name "default" already exists, every network must have a unique name',
  },
  {
    what: 'two bindings',
    object: vmi({ ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'default', masquerade: {}, bridge: {} }] } }), networks: [{ name: 'default', pod: {} }] }),
    webhook: vmiValidator,
    message: 'logical default interface must have exactly one binding method or binding plugin',
  },
  {
    what: 'masquerade on multus',
    object: vmi({ ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'net1', masquerade: {} }] } }), networks: [{ name: 'net1', multus: { networkName: 'x' } }] }),
    webhook: vmiValidator,
    message: 'Masquerade interface only implemented with pod network',
  },
  {
    what: 'slirp binding',
    object: vmi({ ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'default', slirp: {} }] } }), networks: [{ name: 'default', pod: {} }] }),
    webhook: vmiValidator,
    message: 'Slirp interface support has been discontinued since v1.3',
  },
  {
    what: 'bad interface name',
    object: vmi({ ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'a.b', masquerade: {} }] } }), networks: [{ name: 'a.b', pod: {} }] }),
    webhook: vmiValidator,
    message: 'Network interface name can only contain alphabetical characters, numbers, dashes (-) or underscores (_)',
  },
  { what: 'running and runStrategy', object: vm({ running: true, runStrategy: 'Always' }), webhook: vmValidator, message: 'Running and RunStrategy are mutually exclusive. Note that Running is deprecated, please use RunStrategy instead' },
  { what: 'neither running nor runStrategy', object: vm({}), webhook: vmValidator, message: 'RunStrategy must be specified' },
  { what: 'invalid runStrategy', object: vm({ runStrategy: 'Sometimes' }), webhook: vmValidator, message: 'Invalid RunStrategy (Sometimes)' },
  { what: 'WaitAsReceiver without its gate', object: vm({ runStrategy: 'WaitAsReceiver' }), webhook: vmValidator, message: 'Invalid RunStrategy (WaitAsReceiver), DecentralizedLiveMigration feature gate is not enabled in kubevirt resource' },
  { what: 'missing template', object: vm({ runStrategy: 'Always' }, null), webhook: vmValidator, message: 'missing virtual machine template.' },
  { what: 'memory below 1M', object: vmWith(withDomain({ resources: { requests: { memory: '100k' } } })), webhook: vmValidator, message: "spec.template.spec.domain.resources.requests.memory '100k': must be greater than or equal to 1M." },
  {
    what: 'memory request above limit',
    object: vmWith(withDomain({ resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } })),
    webhook: vmValidator,
    message: "spec.template.spec.domain.resources.requests.memory '2Gi' is greater than spec.template.spec.domain.resources.limits.memory '1Gi'",
  },
  {
    what: 'cpu request above limit',
    object: vmWith(withDomain({ resources: { requests: { memory: '128Mi', cpu: '2' }, limits: { cpu: '1' } } })),
    webhook: vmValidator,
    message: "spec.template.spec.domain.resources.requests.cpu '2' is greater than spec.template.spec.domain.resources.limits.cpu '1'",
  },
  {
    what: 'fractional dedicated cpu',
    object: vmWith(withDomain({ cpu: { dedicatedCpuPlacement: true }, resources: { requests: { memory: '128Mi', cpu: '1500m' } } })),
    webhook: vmValidator,
    message: 'provided resources CPU requests must be an interger',
  },
  { what: 'machine type', object: vmWith(withDomain({ machine: { type: 'pc-i440fx' } })), webhook: vmValidator, message: 'spec.template.spec.domain.machine.type is not supported: pc-i440fx (allowed values: [q35* pc-q35*])' },
  { what: 'architecture', object: vmWith({ ...baseSpec(), architecture: 'riscv64' }), webhook: vmValidator, message: 'unsupported architecture: riscv64' },
  { what: 'eviction strategy', object: vmi({ ...baseSpec(), evictionStrategy: 'Sometimes' }), webhook: vmiValidator, message: 'spec.evictionStrategy is set with an unrecognized option: Sometimes' },
  { what: 'start strategy', object: vmi({ ...baseSpec(), startStrategy: 'Later' }), webhook: vmiValidator, message: 'spec.startStrategy is set with an unrecognized option: Later' },
  { what: 'probe without handler', object: vmi({ ...baseSpec(), readinessProbe: { periodSeconds: 5 } }), webhook: vmiValidator, message: 'either spec.readinessProbe.tcpSocket, spec.readinessProbe.exec or spec.readinessProbe.httpGet must be set if a spec.readinessProbe is specified' },
  { what: 'probe with two handlers', object: vmi({ ...baseSpec(), readinessProbe: { tcpSocket: { port: 22 }, exec: { command: ['true'] } } }), webhook: vmiValidator, message: 'spec.readinessProbe must have exactly one probe type set' },
  {
    what: 'EFI and BIOS',
    object: vmi(withDomain({ firmware: { bootloader: { efi: { secureBoot: false }, bios: {} } } })),
    webhook: vmiValidator,
    message: 'spec.domain.firmware has both EFI and BIOS configured, but they are mutually exclusive.',
  },
  { what: 'secure boot without SMM', object: vmi(withDomain({ firmware: { bootloader: { efi: {} } } })), webhook: vmiValidator, message: 'spec.domain has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled.' },
  {
    what: 'cloud-init too large',
    object: vmi({ ...withDomain({ devices: { disks: [disk('root'), disk('ci')] } }), volumes: [containerDisk(), { name: 'ci', cloudInitNoCloud: { userData: 'x'.repeat(3000) } }] }),
    webhook: vmiValidator,
    message: 'spec.volumes[1].cloudInitNoCloud userdata exceeds 2048 byte limit. Should use UserDataSecretRef for larger data.',
  },
  { what: 'hostDisk without its gate', object: vmi({ ...baseSpec(), volumes: [{ name: 'root', hostDisk: { path: '/x', type: 'Disk' } }] }), webhook: vmiValidator, message: 'HostDisk feature gate is not enabled' },
  { what: 'reserved label', object: vmi(baseSpec(), { labels: { 'kubevirt.io/nodeName': 'node01' } }), webhook: vmiValidator, message: 'creation of the following reserved kubevirt.io/ labels on a VMI object is prohibited' },
  { what: 'hostname', object: vmi({ ...baseSpec(), hostname: 'Not_A_Label' }), webhook: vmiValidator, message: 'spec.hostname does not conform to the kubernetes DNS_LABEL rules : ' },
  { what: 'migration without vmiName', object: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'mig' }, spec: {} }, webhook: 'migration-create-validator.kubevirt.io', message: 'vmiName is missing' },
  { what: 'migration of a missing VMI', object: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'mig' }, spec: { vmiName: 'ghost' } }, webhook: 'migration-create-validator.kubevirt.io', message: 'the VMI "default/ghost" does not exist', code: 400 },
];

const typeOf = (object: KubeObject) => ({ VirtualMachine: TYPES.vm, VirtualMachineInstance: TYPES.vmi, VirtualMachineInstanceMigration: TYPES.migration })[object.kind as 'VirtualMachine']!;

t.ok(cases.length >= 30, `${cases.length} invalid manifests`);
for (const c of cases) {
  t.test(c.what, async (t) => {
    const err = await harness.admit(typeOf(c.object), c.object).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof StatusError, 'rejected');
    const status = err as StatusError;
    t.equal(status.code, c.code ?? 422);
    const prefix = `admission webhook "${c.webhook}" denied the request: `;
    t.ok(status.message.startsWith(prefix), `denied by ${c.webhook}: ${status.message}`);
    t.ok(status.message.slice(prefix.length).split(', ').some((m) => m.startsWith(c.message)) || status.message.includes(c.message), `message has "${c.message}" (got "${status.message}")`);
  });
}

t.test('a 422 lists one cause per rule with its field', async (t) => {
  const err = (await harness.admit(TYPES.vmi, vmi(withDomain({ devices: { disks: [disk('root'), disk('data')] } }))).catch((e: unknown) => e)) as StatusError;
  t.equal(err.reason, 'Invalid');
  t.same(err.details?.causes, [{ reason: 'FieldValueInvalid', message: "spec.domain.devices.disks[1].Name 'data' not found.", field: 'spec.domain.devices.disks[1].name' }]);
});

t.test('a valid VM passes, with the running deprecation warning', async (t) => {
  const warnings: string[] = [];
  await harness.admit(TYPES.vm, vm({ running: false }), { warnings });
  t.same(warnings, ['spec.running is deprecated, please use spec.runStrategy instead.']);
});

t.test('users may not change a VMI spec; KubeVirt service accounts may', async (t) => {
  const created = await harness.admit(TYPES.vmi, vmi(baseSpec()));
  const changed = { ...created, spec: { ...(created.spec as Spec), hostname: 'other' } };
  const err = (await harness.admit(TYPES.vmi, changed, { operation: 'UPDATE', oldObject: created }).catch((e: unknown) => e)) as StatusError;
  t.equal(err.message, 'admission webhook "virtualmachineinstances-update-validator.kubevirt.io" denied the request: update of VMI object is restricted');
  const controller = { username: 'system:serviceaccount:kubevirt:kubevirt-controller', groups: ['system:serviceaccounts'] };
  await harness.admit(TYPES.vmi, changed, { operation: 'UPDATE', oldObject: created, user: controller });
});

t.test('a user status change on a VMI is silently undone', async (t) => {
  const created = await harness.admit(TYPES.vmi, vmi(baseSpec()));
  const tampered = { ...created, status: { ...(created.status as Spec), phase: 'Running' } };
  const admitted = await harness.admit(TYPES.vmi, tampered, { operation: 'UPDATE', oldObject: created });
  t.equal((admitted.status as Spec).phase, 'Pending');
});

t.test('virt-api down: KubeVirt writes fail as the apiserver words it', async (t) => {
  const client = harness.emulator.client;
  await client.delete({ apiVersion: 'v1', kind: 'Pod' }, 'kubevirt', 'virt-api-standin', { gracePeriodSeconds: 0 });
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  const service = await client.get<KubeObject & { spec: { clusterIP: string } }>({ apiVersion: 'v1', kind: 'Service' }, 'kubevirt', 'virt-api');
  const err = (await harness.admit(TYPES.vm, vm({ runStrategy: 'Always' })).catch((e: unknown) => e)) as StatusError;
  t.equal(err.code, 500);
  t.equal(
    err.message,
    `Internal error occurred: failed calling webhook "virtualmachines-mutator.kubevirt.io": failed to call webhook: Post "https://virt-api.kubevirt.svc:443/virtualmachines-mutate?timeout=10s": dial tcp ${service.spec.clusterIP}:443: connect: connection refused`,
  );
});
