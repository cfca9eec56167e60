/**
 * ValidateVirtualMachineInstanceSpec and its neighbours (pkg/virt-api/
 * webhooks/validating-webhook/admitters/vmi-create-admitter.go,
 * pkg/network/admitter, pkg/storage/admitters): the rules of behaviour
 * reference §3.6 with KubeVirt's exact messages. `path` is the field path
 * of the spec: "spec" for a VMI, "spec.template.spec" for a VM.
 */
import { regexError } from '../../../api/builtins/names.js';
import { parseQuantity } from '../../../kube/quantity.js';
import type { AdmissionConfig } from './config.js';
import { cause, type Cause } from './responses.js';
import type { CloudInitSource, Disk, Probe, VmiSpec, Volume } from './spec-types.js';

const VOLUME_SOURCES = [
  'containerDisk',
  'ephemeral',
  'persistentVolumeClaim',
  'dataVolume',
  'cloudInitNoCloud',
  'cloudInitConfigDrive',
  'hostDisk',
  'configMap',
  'secret',
  'serviceAccount',
  'downwardAPI',
  'downwardMetrics',
  'emptyDisk',
  'sysprep',
  'memoryDump',
  'containerPath',
];
const BINDINGS = ['bridge', 'masquerade', 'sriov', 'slirp', 'passt', 'macvtap', 'binding'] as const;
const DISCONTINUED_BINDINGS: Record<string, string> = {
  slirp: 'Slirp interface support has been discontinued since v1.3',
  passt: 'Passt network binding has been discontinued since v1.3',
  macvtap: 'Macvtap network binding has been discontinued since v1.3',
};
const DISK_BUSES = ['virtio', 'scsi', 'sata', 'usb'];
const EVICTION_STRATEGIES = ['None', 'LiveMigrate', 'LiveMigrateIfPossible', 'External'];
const START_STRATEGIES = ['Paused', 'Spontaneous'];
const ARCHITECTURES = ['amd64', 'arm64', 's390x'];
/** virt-config's default emulatedMachines per architecture. */
const EMULATED_MACHINES: Record<string, string[]> = { amd64: ['q35*', 'pc-q35*'], arm64: ['virt*'], s390x: ['s390-ccw-virtio*'] };
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const CLOUD_INIT_MAX_BYTES = 2048;
const INTERFACE_NAME = /^[A-Za-z0-9_-]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MIN_MEMORY_BYTES = 1_000_000;

const invalid = (message: string, field?: string) => cause('FieldValueInvalid', message, field);

function quantity(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseQuantity(value);
  } catch {
    return undefined;
  }
}

function duplicates<T extends { name: string }>(items: T[], describe: (i: number, j: number) => Cause): Cause[] {
  const seen = new Map<string, number>();
  const causes: Cause[] = [];
  items.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first !== undefined) causes.push(describe(i, first));
    else seen.set(item.name, i);
  });
  return causes;
}

function validateVolumes(path: string, volumes: Volume[], config: AdmissionConfig): Cause[] {
  const causes = duplicates(volumes, (i, j) =>
    cause(
      'FieldValueDuplicate',
      `${path}.volumes[${i}] and ${path}.volumes[${j}] must not have the same Name.`,
      `${path}.volumes[${i}].name`,
    ),
  );
  volumes.forEach((volume, i) => {
    const at = `${path}.volumes[${i}]`;
    const sources = VOLUME_SOURCES.filter((s) => volume[s] !== undefined && volume[s] !== null);
    if (sources.length !== 1) causes.push(invalid(`${at} must have exactly one source type set`, at));
    if (volume.dataVolume && !volume.dataVolume.name)
      causes.push(cause('FieldValueRequired', "DataVolume 'name' must be set", `${at}.name`));
    if (volume.hostDisk && !config.isGateEnabled('HostDisk')) causes.push(invalid('HostDisk feature gate is not enabled', at));
    if (volume.downwardMetrics && !config.isGateEnabled('DownwardMetrics'))
      causes.push(invalid('downwardMetrics disks are not allowed: DownwardMetrics feature gate is not enabled.', at));
    for (const kind of ['cloudInitNoCloud', 'cloudInitConfigDrive'] as const) {
      const source = volume[kind];
      if (source) causes.push(...validateCloudInit(`${at}.${kind}`, source));
    }
  });
  return causes;
}

function validateCloudInit(at: string, source: CloudInitSource): Cause[] {
  const causes: Cause[] = [];
  for (const [plain, encoded, label, secretRef] of [
    ['userData', 'userDataBase64', 'userdata', 'UserDataSecretRef'],
    ['networkData', 'networkDataBase64', 'networkdata', 'NetworkDataSecretRef'],
  ] as const) {
    const base64 = source[encoded];
    if (base64 !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(base64.replace(/\s/g, '')))
      causes.push(invalid(`${at}.${encoded} is not a valid base64 value.`, `${at}.${encoded}`));
    const bytes = Buffer.byteLength(source[plain] ?? '') + (base64 ? Buffer.from(base64, 'base64').length : 0);
    if (bytes > CLOUD_INIT_MAX_BYTES)
      causes.push(invalid(`${at} ${label} exceeds ${CLOUD_INIT_MAX_BYTES} byte limit. Should use ${secretRef} for larger data.`, at));
  }
  return causes;
}

function validateDisks(path: string, disks: Disk[], volumes: Volume[], config: AdmissionConfig): Cause[] {
  const at = (i: number) => `${path}.domain.devices.disks[${i}]`;
  const causes = duplicates(disks, (i, j) =>
    cause('FieldValueDuplicate', `${at(i)} and ${at(j)} must not have the same Name.`, `${at(i)}.name`),
  );
  const volumeNames = new Set(volumes.map((v) => v.name));
  disks.forEach((disk, i) => {
    const emptyCdrom = disk.cdrom !== undefined && !volumeNames.has(disk.name);
    if (emptyCdrom && !config.isGateEnabled('DeclarativeHotplugVolumes'))
      causes.push(invalid('DeclarativeHotplugVolumes feature gate not enabled, cannot define an empty CD-ROM disk', `${at(i)}.name`));
    else if (!volumeNames.has(disk.name) && !emptyCdrom) causes.push(invalid(`${at(i)}.Name '${disk.name}' not found.`, `${at(i)}.name`));
    const targets = [disk.disk, disk.cdrom, disk.lun].filter((t) => t !== undefined);
    if (targets.length > 1) causes.push(invalid(`${at(i)} can only have a single target type defined`, at(i)));
    if (disk.bootOrder !== undefined && disk.bootOrder < 1)
      causes.push(invalid(`${at(i)} must have a boot order > 0, if supplied`, `${at(i)}.bootOrder`));
    const bus = (disk.disk ?? disk.cdrom ?? disk.lun)?.bus;
    if (!bus) return;
    if (bus === 'ide') causes.push(invalid('IDE bus is not supported', `${at(i)}.bus`));
    else if (disk.cdrom && bus === 'virtio') causes.push(invalid('Bus type virtio is invalid for CD-ROM device', `${at(i)}.cdrom.bus`));
    else if (!DISK_BUSES.includes(bus))
      causes.push(invalid(`${at(i)} is set with an unrecognized bus ${bus}, must be one of: [${DISK_BUSES.join(' ')}]`, `${at(i)}.bus`));
    if (disk.disk && bus === 'sata' && disk.disk.readonly)
      causes.push(invalid('sata hard-disks do not support read-only.', `${at(i)}.disk.bus`));
  });
  return causes;
}

function validateBootOrders(path: string, spec: VmiSpec): Cause[] {
  const causes: Cause[] = [];
  const owner = new Map<number, string>();
  const devices = [
    ...(spec.domain?.devices?.disks ?? []).map((d, i) => ({ order: d.bootOrder, field: `${path}.domain.devices.disks[${i}].bootOrder` })),
    ...(spec.domain?.devices?.interfaces ?? []).map((n, i) => ({
      order: n.bootOrder,
      field: `${path}.domain.devices.interfaces[${i}].bootOrder`,
    })),
  ];
  for (const { order, field } of devices) {
    if (order === undefined || order < 1) continue;
    if (owner.has(order)) causes.push(invalid(`Boot order for ${field} already set for a different device.`, field));
    else owner.set(order, field);
  }
  return causes;
}

function validateNetworking(path: string, spec: VmiSpec, config: AdmissionConfig): Cause[] {
  const causes: Cause[] = [];
  const networks = spec.networks ?? [];
  const interfaces = spec.domain?.devices?.interfaces ?? [];
  const seenNetworks = new Set<string>();
  networks.forEach((network, i) => {
    if (seenNetworks.has(network.name))
      causes.push(
        cause(
          'FieldValueDuplicate',
          `Network with name "${network.name}" already exists, every network must have a unique name`,
          `${path}.networks[${i}].name`,
        ),
      );
    seenNetworks.add(network.name);
    if (!interfaces.some((iface) => iface.name === network.name))
      causes.push(invalid(`${path}.networks[${i}].name '${network.name}' not found.`, `${path}.networks[${i}].name`));
  });
  const seenInterfaces = new Set<string>();
  interfaces.forEach((iface, i) => {
    const at = `${path}.domain.devices.interfaces[${i}]`;
    if (seenInterfaces.has(iface.name))
      causes.push(cause('FieldValueDuplicate', 'Only one interface can be connected to one specific network', `${at}.name`));
    seenInterfaces.add(iface.name);
    const network = networks.find((n) => n.name === iface.name);
    if (!network) causes.push(invalid(`${at}.name '${iface.name}' not found.`, `${at}.name`));
    if (!INTERFACE_NAME.test(iface.name))
      causes.push(
        invalid('Network interface name can only contain alphabetical characters, numbers, dashes (-) or underscores (_)', `${at}.name`),
      );
    const bindings = BINDINGS.filter((b) => iface[b] !== undefined && iface[b] !== null);
    if (bindings.length !== 1) {
      causes.push(
        invalid(
          `logical ${iface.name} interface must have exactly one binding method or binding plugin`,
          `${path}.domain.devices.interfaces`,
        ),
      );
      return;
    }
    const binding = bindings[0];
    if (DISCONTINUED_BINDINGS[binding]) causes.push(invalid(DISCONTINUED_BINDINGS[binding], `${at}.${binding}`));
    if (binding === 'masquerade' && network && !network.pod)
      causes.push(invalid('Masquerade interface only implemented with pod network', `${at}.name`));
    if (binding === 'bridge' && network?.pod && !config.permitBridgeInterfaceOnPodNetwork)
      causes.push(invalid('Bridge on pod network configuration is not enabled under kubevirt-config', `${at}.name`));
  });
  return causes;
}

function validateResources(path: string, spec: VmiSpec): Cause[] {
  const causes: Cause[] = [];
  const resources = spec.domain?.resources ?? {};
  const at = `${path}.domain.resources`;
  const memRequest = resources.requests?.memory;
  const memRequestBytes = quantity(memRequest);
  if (memRequest !== undefined && memRequestBytes !== undefined) {
    if (memRequestBytes < 0)
      causes.push(invalid(`${at}.requests.memory '${memRequest}': must be greater than or equal to 0.`, `${at}.requests.memory`));
    else if (memRequestBytes < MIN_MEMORY_BYTES)
      causes.push(invalid(`${at}.requests.memory '${memRequest}': must be greater than or equal to 1M.`, `${at}.requests.memory`));
  }
  const memLimit = resources.limits?.memory;
  const memLimitBytes = quantity(memLimit);
  if (memRequestBytes !== undefined && memLimitBytes !== undefined && memRequestBytes > memLimitBytes) {
    causes.push(
      invalid(`${at}.requests.memory '${memRequest}' is greater than ${at}.limits.memory '${memLimit}'`, `${at}.requests.memory`),
    );
  }
  const cpuRequest = resources.requests?.cpu;
  const cpuLimit = resources.limits?.cpu;
  const cpuRequestValue = quantity(cpuRequest);
  const cpuLimitValue = quantity(cpuLimit);
  if (cpuRequestValue !== undefined && cpuRequestValue < 0)
    causes.push(invalid(`${at}.requests.cpu '${cpuRequest}': must be greater than or equal to 0.`, `${at}.requests.cpu`));
  if (cpuRequestValue !== undefined && cpuLimitValue !== undefined && cpuRequestValue > cpuLimitValue) {
    causes.push(invalid(`${at}.requests.cpu '${cpuRequest}' is greater than ${at}.limits.cpu '${cpuLimit}'`, `${at}.requests.cpu`));
  }
  if (spec.domain?.cpu?.dedicatedCpuPlacement) {
    if (cpuRequestValue !== undefined && !Number.isInteger(cpuRequestValue))
      causes.push(invalid('provided resources CPU requests must be an interger', `${at}.requests.cpu`));
    if (cpuLimitValue !== undefined && !Number.isInteger(cpuLimitValue))
      causes.push(invalid('provided resources CPU limits must be an interger', `${at}.limits.cpu`));
  }
  if (spec.domain?.cpu?.isolateEmulatorThread && !spec.domain.cpu.dedicatedCpuPlacement) {
    causes.push(
      invalid(
        'IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement',
        `${path}.domain.cpu.isolateEmulatorThread`,
      ),
    );
  }
  causes.push(...validateHugepages(path, spec, memRequest, memRequestBytes));
  return causes;
}

function validateHugepages(path: string, spec: VmiSpec, memory: string | undefined, memoryBytes: number | undefined): Cause[] {
  const pageSize = spec.domain?.memory?.hugepages?.pageSize;
  if (pageSize === undefined) return [];
  const field = `${path}.domain.memory.hugepages.pageSize`;
  const pageBytes = quantity(pageSize);
  if (pageBytes === undefined)
    return [
      invalid(`${field} '${pageSize}': quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`, field),
    ];
  if (memoryBytes === undefined) return [];
  const memField = `${path}.domain.resources.requests.memory`;
  if (memoryBytes < pageBytes)
    return [invalid(`${memField} '${memory}' must be equal to or larger than page size ${field} '${pageSize}'`, memField)];
  if (memoryBytes % pageBytes !== 0)
    return [invalid(`${memField} '${memory}' is not a multiple of the page size ${field} '${pageSize}'`, memField)];
  return [];
}

const globMatches = (pattern: string, value: string): boolean =>
  pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value;

function validateMachine(path: string, spec: VmiSpec): Cause[] {
  const causes: Cause[] = [];
  const architecture = spec.architecture;
  if (architecture && !ARCHITECTURES.includes(architecture))
    causes.push(invalid(`unsupported architecture: ${architecture}`, `${path}.architecture`));
  const type = spec.domain?.machine?.type;
  const allowed = EMULATED_MACHINES[architecture || 'amd64'];
  if (type && allowed && !allowed.some((p) => globMatches(p, type))) {
    causes.push(
      cause(
        'FieldValueNotSupported',
        `${path}.domain.machine.type is not supported: ${type} (allowed values: [${allowed.join(' ')}])`,
        `${path}.domain.machine.type`,
      ),
    );
  }
  return causes;
}

function validateNames(path: string, spec: VmiSpec): Cause[] {
  const causes: Cause[] = [];
  if (spec.hostname !== undefined && !(spec.hostname.length <= 63 && DNS_LABEL.test(spec.hostname))) {
    const rule = regexError(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      '[a-z0-9]([-a-z0-9]*[a-z0-9])?',
      'my-name',
      '123-abc',
    );
    causes.push(invalid(`${path}.hostname does not conform to the kubernetes DNS_LABEL rules : ${rule}`, `${path}.hostname`));
  }
  if (spec.subdomain !== undefined && !(spec.subdomain.length <= 253 && DNS_SUBDOMAIN.test(spec.subdomain))) {
    const rule = regexError(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*',
      'example.com',
    );
    causes.push(invalid(`${path}.subdomain does not conform to the kubernetes DNS_SUBDOMAIN rules : ${rule}`, `${path}.subdomain`));
  }
  return causes;
}

function validateStrategies(path: string, spec: VmiSpec): Cause[] {
  const causes: Cause[] = [];
  if (spec.evictionStrategy !== undefined && !EVICTION_STRATEGIES.includes(spec.evictionStrategy)) {
    causes.push(
      invalid(`${path}.evictionStrategy is set with an unrecognized option: ${spec.evictionStrategy}`, `${path}.evictionStrategy`),
    );
  }
  if (spec.startStrategy !== undefined && !START_STRATEGIES.includes(spec.startStrategy)) {
    causes.push(invalid(`${path}.startStrategy is set with an unrecognized option: ${spec.startStrategy}`, `${path}.startStrategy`));
  }
  if (spec.startStrategy === 'Paused' && spec.livenessProbe) {
    causes.push(
      invalid(
        `either ${path}.startStrategy or ${path}.livenessProbe should be provided.Pausing VMI with LivenessProbe is not supported`,
        `${path}.startStrategy`,
      ),
    );
  }
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig)
    causes.push(cause('FieldValueRequired', 'must provide `dnsConfig` when `dnsPolicy` is None', `${path}.dnsConfig`));
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(spec.dnsPolicy)) {
    causes.push(
      cause(
        'FieldValueNotSupported',
        `DNSPolicy: ${spec.dnsPolicy} is not supported, valid values: [${DNS_POLICIES.join(' ')}]`,
        `${path}.dnsPolicy`,
      ),
    );
  }
  return causes;
}

function validateProbe(path: string, name: 'readinessProbe' | 'livenessProbe', probe: Probe | undefined, hasPodNetwork: boolean): Cause[] {
  if (!probe) return [];
  const at = `${path}.${name}`;
  const handlers = (['httpGet', 'tcpSocket', 'exec', 'guestAgentPing'] as const).filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (handlers.length > 1) return [invalid(`${at} must have exactly one probe type set`, at)];
  if (handlers.length === 0)
    return [invalid(`either ${at}.tcpSocket, ${at}.exec or ${at}.httpGet must be set if a ${at} is specified`, at)];
  const handler = handlers[0];
  if ((handler === 'httpGet' || handler === 'tcpSocket') && !hasPodNetwork)
    return [invalid(`${at}.${handler} is only allowed if the Pod Network is attached`, `${at}.${handler}`)];
  return [];
}

function validateFirmware(path: string, spec: VmiSpec): Cause[] {
  const firmware = spec.domain?.firmware;
  const bootloader = firmware?.bootloader;
  const causes: Cause[] = [];
  if (bootloader?.efi && bootloader.bios)
    causes.push(
      invalid(`${path}.domain.firmware has both EFI and BIOS configured, but they are mutually exclusive.`, `${path}.domain.firmware`),
    );
  const secureBoot = bootloader?.efi && bootloader.efi.secureBoot !== false;
  const smm = spec.domain?.features?.smm;
  if (secureBoot && (!smm || smm.enabled === false))
    causes.push(
      invalid(`${path}.domain has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled.`, `${path}.domain`),
    );
  return causes;
}

function validateDevices(path: string, spec: VmiSpec, config: AdmissionConfig): Cause[] {
  const devices = spec.domain?.devices ?? {};
  const causes: Cause[] = [];
  (devices.inputs ?? []).forEach((input, i) => {
    const at = `${path}.domain.devices.inputs[${i}]`;
    if (input.bus && input.bus !== 'virtio' && input.bus !== 'usb')
      causes.push(invalid('Input device can have only virtio or usb bus.', `${at}.bus`));
    if (input.type && input.type !== 'tablet') causes.push(invalid('Input device can have only tablet type.', `${at}.type`));
  });
  if ((devices.hostDevices?.length ?? 0) > 0 && !config.isGateEnabled('HostDevices'))
    causes.push(invalid('Host Devices feature gate is not enabled in kubevirt-config', `${path}.domain.devices.hostDevices`));
  if (devices.autoattachVSOCK && !config.isGateEnabled('VSOCK'))
    causes.push(invalid('VSOCK feature gate is not enabled in kubevirt-config', `${path}.domain.devices.autoattachVSOCK`));
  return causes;
}

/** ValidateVirtualMachineInstanceSpec: every rule that depends only on the spec and the cluster configuration. */
export function validateVmiSpec(path: string, spec: VmiSpec, config: AdmissionConfig): Cause[] {
  const volumes = spec.volumes ?? [];
  const hasPodNetwork =
    (spec.networks ?? []).some((n) => n.pod !== undefined) ||
    (spec.networks === undefined && spec.domain?.devices?.autoattachPodInterface !== false);
  return [
    ...validateMachine(path, spec),
    ...validateResources(path, spec),
    ...validateDisks(path, spec.domain?.devices?.disks ?? [], volumes, config),
    ...validateBootOrders(path, spec),
    ...validateVolumes(path, volumes, config),
    ...validateNetworking(path, spec, config),
    ...validateNames(path, spec),
    ...validateStrategies(path, spec),
    ...validateProbe(path, 'readinessProbe', spec.readinessProbe, hasPodNetwork),
    ...validateProbe(path, 'livenessProbe', spec.livenessProbe, hasPodNetwork),
    ...validateFirmware(path, spec),
    ...validateDevices(path, spec, config),
  ];
}

/** Annotations whose feature is gated (sidecar hooks, ignition); `metadataPath` is "metadata" or "spec.template.metadata". */
export function validateGatedAnnotations(
  metadataPath: string,
  annotations: Record<string, string> | undefined,
  config: AdmissionConfig,
): Cause[] {
  const causes: Cause[] = [];
  if (annotations?.['hooks.kubevirt.io/hookSidecars'] !== undefined && !config.isGateEnabled('Sidecar')) {
    causes.push(
      invalid(
        `sidecar feature gate is not enabled in kubevirt-config, invalid entry ${metadataPath}.annotations.hooks.kubevirt.io/hookSidecars`,
        `${metadataPath}.annotations`,
      ),
    );
  }
  if (annotations?.['kubevirt.io/ignitiondata'] !== undefined && !config.isGateEnabled('ExperimentalIgnitionSupport')) {
    causes.push(
      invalid(
        `ExperimentalIgnitionSupport feature gate is not enabled in kubevirt-config, invalid entry ${metadataPath}.annotations.kubevirt.io/ignitiondata`,
        `${metadataPath}.annotations`,
      ),
    );
  }
  return causes;
}
