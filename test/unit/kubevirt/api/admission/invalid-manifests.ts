/**
 * Invalid VM, VMI and migration manifests with the webhook that rejects each
 * and the message virt-api gives (kubevirt-behaviour.md §3.6), shared by the
 * in-process admission test (validation.test.ts) and the kubectl table test
 * (test/e2e/kubevirt/admission-invalid.test.ts). Objects carry no namespace:
 * both tests write them to "default".
 */
import type { KubeObject } from '../../../../../src/api/types.js';

export type Spec = Record<string, unknown>;
export const disk = (name: string, target: Spec = { disk: {} }) => ({ name, ...target });
export const containerDisk = (name = 'root') => ({ name, containerDisk: { image: 'quay.io/containerdisks/fedora:41' } });
export const baseSpec = (): Spec => ({
  domain: { devices: { disks: [disk('root')] }, resources: { requests: { memory: '128Mi' } } },
  volumes: [containerDisk()],
});
export const withDomain = (domain: Spec, rest: Spec = {}): Spec => {
  const spec = baseSpec();
  return { ...spec, ...rest, domain: { ...(spec.domain as Spec), ...domain } };
};
export const vmi = (spec: Spec, metadata: Spec = {}): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'testvmi', ...metadata },
  spec,
});
export const vm = (spec: Spec, template: Spec | null = { spec: baseSpec() }): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'testvm' },
  spec: { ...(template ? { template } : {}), ...spec },
});
export const vmWith = (templateSpec: Spec) => vm({ runStrategy: 'Always' }, { spec: templateSpec });

export interface InvalidManifest {
  what: string;
  object: KubeObject;
  /** The webhook that denies it. */
  webhook: string;
  /** The whole text after `admission webhook "<webhook>" denied the request: `. */
  message: string;
  /** The denial's HTTP code when not 422 (a generic ToAdmissionResponseError failure is 400). */
  code?: number;
  /**
   * Set when, through the API, the apiserver's own CRD schema validation (it runs between mutating
   * and validating admission) rejects the object before virt-api's validator sees it: kubectl's message.
   */
  apiServerMessage?: string;
  /** Set when the row cannot go through kubectl as on a cluster yet: why. */
  notThroughApi?: string;
}

export const vmiValidator = 'virtualmachineinstances-create-validator.kubevirt.io';
export const vmValidator = 'virtualmachine-validator.kubevirt.io';

export const invalidManifests: InvalidManifest[] = [
  {
    what: 'no memory',
    object: vmi({ domain: { devices: {} } }),
    webhook: vmiValidator,
    message:
      "no memory requested, at least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.pageSize' or 'spec.domain.resources.requests.memory' must be set",
  },
  {
    what: 'disk without volume',
    object: vmi(withDomain({ devices: { disks: [disk('root'), disk('data')] } })),
    webhook: vmiValidator,
    message: "spec.domain.devices.disks[1].Name 'data' not found.",
  },
  {
    what: 'duplicate volumes',
    object: vmi({ ...baseSpec(), volumes: [containerDisk(), containerDisk()] }),
    webhook: vmiValidator,
    message: 'spec.volumes[1] and spec.volumes[0] must not have the same Name.',
  },
  {
    what: 'duplicate disks',
    object: vmi(withDomain({ devices: { disks: [disk('root'), disk('root')] } })),
    webhook: vmiValidator,
    message: 'spec.domain.devices.disks[1] and spec.domain.devices.disks[0] must not have the same Name.',
  },
  {
    what: 'two volume sources',
    object: vmi({ ...baseSpec(), volumes: [{ ...containerDisk(), emptyDisk: { capacity: '1Gi' } }] }),
    webhook: vmiValidator,
    message: 'spec.volumes[0] must have exactly one source type set',
  },
  {
    what: 'dataVolume without name',
    object: vmi({ ...baseSpec(), volumes: [{ name: 'root', dataVolume: {} }] }),
    webhook: vmiValidator,
    message: "DataVolume 'name' must be set",
    // virt-api's VMI mutator validates the OpenAPI schema first and denies with "...dataVolume.name in body is required".
    notThroughApi:
      "the VMI mutator's own OpenAPI schema check (kubevirt-behaviour.md §3.1 step 1) is not emulated: the apiserver's schema message comes instead",
  },
  {
    what: 'two disk targets',
    object: vmi(withDomain({ devices: { disks: [disk('root', { disk: {}, cdrom: {} })] } })),
    webhook: vmiValidator,
    message: 'spec.domain.devices.disks[0] can only have a single target type defined',
  },
  {
    what: 'ide bus',
    object: vmi(withDomain({ devices: { disks: [disk('root', { disk: { bus: 'ide' } })] } })),
    webhook: vmiValidator,
    message: 'IDE bus is not supported',
  },
  {
    what: 'virtio cdrom',
    object: vmi(withDomain({ devices: { disks: [disk('root', { cdrom: { bus: 'virtio' } })] } })),
    webhook: vmiValidator,
    message: 'Bus type virtio is invalid for CD-ROM device',
  },
  {
    what: 'unknown bus',
    object: vmi(withDomain({ devices: { disks: [disk('root', { disk: { bus: 'foo' } })] } })),
    webhook: vmiValidator,
    message: 'spec.domain.devices.disks[0] is set with an unrecognized bus foo, must be one of: [virtio scsi sata usb]',
  },
  {
    what: 'read-only sata',
    object: vmi(withDomain({ devices: { disks: [disk('root', { disk: { bus: 'sata', readonly: true } })] } })),
    webhook: vmiValidator,
    message: 'sata hard-disks do not support read-only.',
  },
  {
    what: 'boot order 0',
    object: vmi(withDomain({ devices: { disks: [disk('root', { disk: {}, bootOrder: 0 })] } })),
    webhook: vmiValidator,
    message: 'spec.domain.devices.disks[0] must have a boot order > 0, if supplied',
  },
  {
    what: 'network without interface',
    object: vmi({
      ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'default', masquerade: {} }] } }),
      networks: [
        { name: 'default', pod: {} },
        { name: 'extra', multus: { networkName: 'x' } },
      ],
    }),
    webhook: vmiValidator,
    message: "spec.networks[1].name 'extra' not found.",
  },
  {
    what: 'interface without network',
    object: vmi({
      ...withDomain({
        devices: {
          disks: [disk('root')],
          interfaces: [
            { name: 'default', masquerade: {} },
            { name: 'other', bridge: {} },
          ],
        },
      }),
      networks: [{ name: 'default', pod: {} }],
    }),
    webhook: vmiValidator,
    message: "spec.domain.devices.interfaces[1].name 'other' not found.",
  },
  {
    what: 'duplicate networks',
    object: vmi({
      ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'default', masquerade: {} }] } }),
      networks: [
        { name: 'default', pod: {} },
        { name: 'default', pod: {} },
      ],
    }),
    webhook: vmiValidator,
    message: 'Network with name "default" already exists, every network must have a unique name',
  },
  {
    what: 'two bindings',
    object: vmi({
      ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'default', masquerade: {}, bridge: {} }] } }),
      networks: [{ name: 'default', pod: {} }],
    }),
    webhook: vmiValidator,
    message: 'logical default interface must have exactly one binding method or binding plugin',
  },
  {
    what: 'masquerade on multus',
    object: vmi({
      ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'net1', masquerade: {} }] } }),
      networks: [{ name: 'net1', multus: { networkName: 'x' } }],
    }),
    webhook: vmiValidator,
    message: 'Masquerade interface only implemented with pod network',
  },
  {
    what: 'slirp binding',
    object: vmi({
      ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'default', slirp: {} }] } }),
      networks: [{ name: 'default', pod: {} }],
    }),
    webhook: vmiValidator,
    message: 'Slirp interface support has been discontinued since v1.3',
  },
  {
    what: 'bad interface name',
    object: vmi({
      ...withDomain({ devices: { disks: [disk('root')], interfaces: [{ name: 'a.b', masquerade: {} }] } }),
      networks: [{ name: 'a.b', pod: {} }],
    }),
    webhook: vmiValidator,
    message: 'Network interface name can only contain alphabetical characters, numbers, dashes (-) or underscores (_)',
  },
  {
    what: 'running and runStrategy',
    object: vm({ running: true, runStrategy: 'Always' }),
    webhook: vmValidator,
    message: 'Running and RunStrategy are mutually exclusive. Note that Running is deprecated, please use RunStrategy instead',
  },
  { what: 'neither running nor runStrategy', object: vm({}), webhook: vmValidator, message: 'RunStrategy must be specified' },
  {
    what: 'invalid runStrategy',
    object: vm({ runStrategy: 'Sometimes' }),
    webhook: vmValidator,
    message: 'Invalid RunStrategy (Sometimes)',
  },
  {
    what: 'WaitAsReceiver without its gate',
    object: vm({ runStrategy: 'WaitAsReceiver' }),
    webhook: vmValidator,
    message: 'Invalid RunStrategy (WaitAsReceiver), DecentralizedLiveMigration feature gate is not enabled in kubevirt resource',
  },
  {
    what: 'missing template',
    object: vm({ runStrategy: 'Always' }, null),
    webhook: vmValidator,
    message: 'missing virtual machine template.',
    // The VirtualMachine CRD has CEL rules, so kube adds that they were not run after a required-field error.
    apiServerMessage:
      'VirtualMachine.kubevirt.io "testvm" is invalid: [spec.template: Required value, <nil>: Invalid value: "null": ' +
      'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]',
  },
  {
    what: 'memory below 1M',
    object: vmWith(withDomain({ resources: { requests: { memory: '100k' } } })),
    webhook: vmValidator,
    message: "spec.template.spec.domain.resources.requests.memory '100k': must be greater than or equal to 1M.",
  },
  {
    what: 'memory request above limit',
    object: vmWith(withDomain({ resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } })),
    webhook: vmValidator,
    message:
      "spec.template.spec.domain.resources.requests.memory '2Gi' is greater than spec.template.spec.domain.resources.limits.memory '1Gi'",
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
  {
    what: 'machine type',
    object: vmWith(withDomain({ machine: { type: 'pc-i440fx' } })),
    webhook: vmValidator,
    message: 'spec.template.spec.domain.machine.type is not supported: pc-i440fx (allowed values: [q35* pc-q35*])',
  },
  {
    what: 'architecture',
    object: vmWith({ ...baseSpec(), architecture: 'riscv64' }),
    webhook: vmValidator,
    message: 'unsupported architecture: riscv64',
  },
  {
    what: 'eviction strategy',
    object: vmi({ ...baseSpec(), evictionStrategy: 'Sometimes' }),
    webhook: vmiValidator,
    message: 'spec.evictionStrategy is set with an unrecognized option: Sometimes',
  },
  {
    what: 'start strategy',
    object: vmi({ ...baseSpec(), startStrategy: 'Later' }),
    webhook: vmiValidator,
    message: 'spec.startStrategy is set with an unrecognized option: Later',
  },
  {
    what: 'probe without handler',
    object: vmi({ ...baseSpec(), readinessProbe: { periodSeconds: 5 } }),
    webhook: vmiValidator,
    message:
      'either spec.readinessProbe.tcpSocket, spec.readinessProbe.exec or spec.readinessProbe.httpGet must be set if a spec.readinessProbe is specified',
  },
  {
    what: 'probe with two handlers',
    object: vmi({ ...baseSpec(), readinessProbe: { tcpSocket: { port: 22 }, exec: { command: ['true'] } } }),
    webhook: vmiValidator,
    message: 'spec.readinessProbe must have exactly one probe type set',
  },
  {
    what: 'EFI and BIOS',
    object: vmi(withDomain({ firmware: { bootloader: { efi: { secureBoot: false }, bios: {} } } })),
    webhook: vmiValidator,
    message: 'spec.domain.firmware has both EFI and BIOS configured, but they are mutually exclusive.',
  },
  {
    what: 'secure boot without SMM',
    object: vmi(withDomain({ firmware: { bootloader: { efi: {} } } })),
    webhook: vmiValidator,
    message: 'spec.domain has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled.',
  },
  {
    what: 'cloud-init too large',
    object: vmi({
      ...withDomain({ devices: { disks: [disk('root'), disk('ci')] } }),
      volumes: [containerDisk(), { name: 'ci', cloudInitNoCloud: { userData: 'x'.repeat(3000) } }],
    }),
    webhook: vmiValidator,
    message: 'spec.volumes[1].cloudInitNoCloud userdata exceeds 2048 byte limit. Should use UserDataSecretRef for larger data.',
  },
  {
    what: 'hostDisk without its gate',
    object: vmi({ ...baseSpec(), volumes: [{ name: 'root', hostDisk: { path: '/x', type: 'Disk' } }] }),
    webhook: vmiValidator,
    message: 'HostDisk feature gate is not enabled',
  },
  {
    what: 'reserved label',
    object: vmi(baseSpec(), { labels: { 'kubevirt.io/nodeName': 'node01' } }),
    webhook: vmiValidator,
    message: 'creation of the following reserved kubevirt.io/ labels on a VMI object is prohibited',
  },
  {
    what: 'hostname',
    object: vmi({ ...baseSpec(), hostname: 'Not_A_Label' }),
    webhook: vmiValidator,
    message:
      "spec.hostname does not conform to the kubernetes DNS_LABEL rules : a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  },
  {
    what: 'migration without vmiName',
    object: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'mig' }, spec: {} },
    webhook: 'migration-create-validator.kubevirt.io',
    message: 'vmiName is missing',
  },
  {
    what: 'migration of a missing VMI',
    object: {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { name: 'mig' },
      spec: { vmiName: 'ghost' },
    },
    webhook: 'migration-create-validator.kubevirt.io',
    message: 'the VMI "default/ghost" does not exist',
    code: 400,
  },
];
