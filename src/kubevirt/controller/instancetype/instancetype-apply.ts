/**
 * Applying an instancetype and a preference to a VMI spec
 * (pkg/instancetype/apply and pkg/instancetype/preference/apply): the
 * instancetype owns CPU, memory and a few scheduling fields, so a template
 * that sets them as well conflicts; the preference only fills what is
 * still empty. Used by the VM admitter (conflicts), the VM controller (the
 * VMI it starts) and the expand-spec endpoints.
 */

type Fields = Record<string, unknown>;

export interface InstancetypeSpec {
  cpu?: {
    guest?: number;
    model?: string;
    dedicatedCPUPlacement?: boolean;
    isolateEmulatorThread?: boolean;
    numa?: unknown;
    realtime?: unknown;
    maxSockets?: number;
  };
  memory?: { guest?: string; hugepages?: unknown; maxGuest?: string; overcommitPercent?: number };
  nodeSelector?: Record<string, string>;
  schedulerName?: string;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface PreferenceSpec {
  cpu?: { preferredCPUTopology?: string; spreadOptions?: { ratio?: number; across?: string } };
  devices?: Fields;
  features?: Fields;
  firmware?: Fields;
  machine?: { preferredMachineType?: string };
  clock?: Fields;
  preferredTerminationGracePeriodSeconds?: number;
  preferredSubdomain?: string;
  preferredArchitecture?: string;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** The parts of a VMI spec the appliers touch; the rest is carried along. */
export interface ApplicableSpec {
  domain?: {
    cpu?: Fields;
    memory?: Fields;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    devices?: Fields;
    firmware?: Fields;
    machine?: { type?: string };
    features?: Fields;
    clock?: Fields;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

const isSet = (value: unknown): boolean => value !== undefined && value !== null && value !== '' && value !== 0 && value !== false;

/** One conflict message per path, as the VM admitter reports them (conflict.Conflict.Error). */
export const conflictMessage = (path: string): string => `VM field(s) ${path} conflicts with selected instance type`;

function applyCpu(base: string, it: InstancetypeSpec, pref: PreferenceSpec | undefined, spec: ApplicableSpec): string[] {
  const domain = (spec.domain ??= {});
  const cpu = (domain.cpu ??= {});
  const itCpu = it.cpu ?? {};
  const conflicts: string[] = [];
  if (domain.resources?.requests?.cpu !== undefined) conflicts.push(`${base}.domain.resources.requests.cpu`);
  if (domain.resources?.limits?.cpu !== undefined) conflicts.push(`${base}.domain.resources.limits.cpu`);
  for (const field of ['sockets', 'cores', 'threads']) if (isSet(cpu[field])) conflicts.push(`${base}.domain.cpu.${field}`);
  // The remaining fields conflict only when both sides set them.
  const both: Array<[string, unknown]> = [
    ['model', itCpu.model],
    ['dedicatedCPUPlacement', itCpu.dedicatedCPUPlacement],
    ['isolateEmulatorThread', itCpu.isolateEmulatorThread],
    ['numa', itCpu.numa],
    ['realtime', itCpu.realtime],
  ];
  for (const [field, fromInstancetype] of both)
    if (isSet(cpu[field]) && fromInstancetype !== undefined) conflicts.push(`${base}.domain.cpu.${field}`);
  if (conflicts.length > 0) return conflicts;
  for (const [field, value] of [...both, ['maxSockets', itCpu.maxSockets] as [string, unknown]])
    if (value !== undefined) cpu[field] = structuredClone(value);
  Object.assign(cpu, guestTopology(itCpu.guest ?? 1, pref));
  return [];
}

/** Sockets, cores and threads for `vCPUs` in the preference's preferred topology (default: sockets). */
function guestTopology(vCPUs: number, pref: PreferenceSpec | undefined): { sockets: number; cores: number; threads: number } {
  const topology = { sockets: 1, cores: 1, threads: 1 };
  if (vCPUs === 1) return topology;
  const preferred = (pref?.cpu?.preferredCPUTopology ?? 'sockets').replace(/^prefer/, '').toLowerCase();
  if (preferred === 'cores') return { ...topology, cores: vCPUs };
  if (preferred === 'threads') return { ...topology, threads: vCPUs };
  if (preferred !== 'spread') return { ...topology, sockets: vCPUs };
  const ratio = pref?.cpu?.spreadOptions?.ratio ?? 2;
  const across = pref?.cpu?.spreadOptions?.across ?? 'SocketsCores';
  if (across === 'CoresThreads') return { ...topology, threads: ratio, cores: Math.floor(vCPUs / ratio) };
  if (across === 'SocketsCoresThreads') return { threads: 2, cores: ratio, sockets: Math.floor(vCPUs / 2 / ratio) };
  return { ...topology, cores: ratio, sockets: Math.floor(vCPUs / ratio) };
}

/** Memory reports only its first conflict, as KubeVirt's validateMemory does. */
function applyMemory(base: string, it: InstancetypeSpec, spec: ApplicableSpec): string[] {
  const domain = (spec.domain ??= {});
  const memory = (domain.memory ??= {});
  const itMemory = it.memory ?? {};
  const conflict = [
    [memory.guest !== undefined, 'domain.memory.guest'],
    [memory.hugepages !== undefined && itMemory.hugepages !== undefined, 'domain.memory.hugepages'],
    [memory.maxGuest !== undefined && itMemory.maxGuest !== undefined, 'domain.memory.maxGuest'],
    [domain.resources?.requests?.memory !== undefined, 'domain.resources.requests.memory'],
    [domain.resources?.limits?.memory !== undefined, 'domain.resources.limits.memory'],
  ].find(([holds]) => holds);
  if (conflict) return [`${base}.${String(conflict[1])}`];
  memory.guest = itMemory.guest;
  if (itMemory.overcommitPercent && itMemory.guest) {
    const requested = Math.floor(quantityBytes(itMemory.guest) * (1 - itMemory.overcommitPercent / 100));
    domain.resources = { ...domain.resources, requests: { ...domain.resources?.requests, memory: String(requested) } };
  }
  if (itMemory.hugepages !== undefined) memory.hugepages = structuredClone(itMemory.hugepages);
  if (itMemory.maxGuest !== undefined) memory.maxGuest = itMemory.maxGuest;
  return [];
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const quantityBytes = (quantity: string): number => {
  const match = /^(\d+(?:\.\d+)?)([kMGT]i?|Ki)?$/.exec(quantity);
  return match ? Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1) : 0;
};

/** Fields the instancetype copies when the template leaves them empty, and conflicts on when it does not. */
interface ExclusiveField {
  path: string;
  get: (spec: ApplicableSpec) => Fields;
  key: string;
}

const SCHEDULING_FIELDS: ExclusiveField[] = [
  { path: 'nodeSelector', get: (spec) => spec, key: 'nodeSelector' },
  { path: 'schedulerName', get: (spec) => spec, key: 'schedulerName' },
];

const DOMAIN_FIELDS: ExclusiveField[] = [
  { path: 'domain.ioThreadsPolicy', get: (spec) => (spec.domain ??= {}), key: 'ioThreadsPolicy' },
  { path: 'domain.ioThreads', get: (spec) => (spec.domain ??= {}), key: 'ioThreads' },
  { path: 'domain.launchSecurity', get: (spec) => (spec.domain ??= {}), key: 'launchSecurity' },
  { path: 'domain.devices.gpus', get: (spec) => ((spec.domain ??= {}).devices ??= {}), key: 'gpus' },
  { path: 'domain.devices.hostDevices', get: (spec) => ((spec.domain ??= {}).devices ??= {}), key: 'hostDevices' },
];

/** The instancetype keeps every one of these fields at its top level. */
function applyExclusiveFields(fields: ExclusiveField[], base: string, it: InstancetypeSpec, spec: ApplicableSpec): string[] {
  const conflicts: string[] = [];
  for (const { path, get, key } of fields) {
    const value = it[key];
    if (value === undefined || value === '') continue;
    const target = get(spec);
    if (target[key] !== undefined && target[key] !== '') conflicts.push(`${base}.${path}`);
    else target[key] = structuredClone(value);
  }
  return conflicts;
}

/** Annotations of the instancetype/preference join the VMI's; a different value under the same key conflicts (instancetype only). */
function mergeAnnotations(
  from: Record<string, string> | undefined,
  metadata: { annotations?: Record<string, string> },
  reportConflicts: boolean,
): string[] {
  if (!from) return [];
  const annotations = (metadata.annotations ??= {});
  const conflicts: string[] = [];
  for (const [key, value] of Object.entries(from)) {
    if (!(key in annotations)) annotations[key] = value;
    else if (reportConflicts && annotations[key] !== value) conflicts.push(`annotations.${key}`);
  }
  return conflicts;
}

/**
 * Applies both to `spec` and `metadata` in place; returns the conflicting
 * field paths (under `base`, e.g. `spec.template.spec`). On a conflict the
 * preference is not applied.
 */
export function applyToVmi(
  base: string,
  it: InstancetypeSpec | undefined,
  pref: PreferenceSpec | undefined,
  spec: ApplicableSpec,
  metadata: { annotations?: Record<string, string> },
): string[] {
  if (it) {
    const conflicts = [
      ...applyExclusiveFields(SCHEDULING_FIELDS, base, it, spec),
      ...applyCpu(base, it, pref, spec),
      ...applyMemory(base, it, spec),
      ...applyExclusiveFields(DOMAIN_FIELDS, base, it, spec),
      ...mergeAnnotations(it.annotations, metadata, true),
    ];
    if (conflicts.length > 0) return conflicts;
  }
  if (pref) applyPreference(pref, spec, metadata);
  return [];
}

/** Device-level preferences copied when the VMI leaves the field unset: preference key → VMI devices key. */
const DEVICE_PREFERENCES: Array<[string, string]> = [
  ['preferredUseVirtioTransitional', 'useVirtioTransitional'],
  ['preferredBlockMultiQueue', 'blockMultiQueue'],
  ['preferredNetworkInterfaceMultiQueue', 'networkInterfaceMultiQueue'],
  ['preferredRng', 'rng'],
  ['preferredTPM', 'tpm'],
  ['preferredAutoattachGraphicsDevice', 'autoattachGraphicsDevice'],
  ['preferredAutoattachMemBalloon', 'autoattachMemBalloon'],
  ['preferredAutoattachPodInterface', 'autoattachPodInterface'],
  ['preferredAutoattachSerialConsole', 'autoattachSerialConsole'],
  ['preferredAutoattachInputDevice', 'autoattachInputDevice'],
];

/** Per-item preferences: the list in `devices`, and for each of its entries which nested target gets which preferred field. */
type ItemPreference = (preferences: Fields, item: Fields, spec: ApplicableSpec) => void;

const fillIn = (target: Fields, key: string, value: unknown): void => {
  if (value !== undefined && (target[key] === undefined || target[key] === '')) target[key] = structuredClone(value);
};

const diskPreference: ItemPreference = (p, disk) => {
  if (!disk.disk && !disk.cdrom && !disk.lun) disk.disk = {};
  if (disk.disk) {
    const target = disk.disk as Fields;
    fillIn(target, 'bus', p.preferredDiskBus);
    fillIn(disk, 'blockSize', p.preferredDiskBlockSize);
    fillIn(disk, 'cache', p.preferredDiskCache);
    fillIn(disk, 'io', p.preferredDiskIO);
    if (target.bus === 'virtio') fillIn(disk, 'dedicatedIOThread', p.preferredDiskDedicatedIoThread);
  } else if (disk.cdrom) fillIn(disk.cdrom as Fields, 'bus', p.preferredCdromBus);
  else fillIn(disk.lun as Fields, 'bus', p.preferredLunBus);
};

const BINDINGS = ['bridge', 'masquerade', 'sriov', 'slirp', 'passt', 'macvtap', 'binding'];

const interfacePreference: ItemPreference = (p, iface, spec) => {
  fillIn(iface, 'model', p.preferredInterfaceModel);
  const onPodNetwork = ((spec.networks ?? []) as Fields[]).some((n) => n.name === iface.name && n.pod !== undefined);
  if (p.preferredInterfaceMasquerade !== undefined && onPodNetwork && !BINDINGS.some((b) => iface[b] !== undefined))
    iface.masquerade = structuredClone(p.preferredInterfaceMasquerade);
};

const inputPreference: ItemPreference = (p, input) => {
  fillIn(input, 'bus', p.preferredInputBus);
  fillIn(input, 'type', p.preferredInputType);
};

function applyDevicePreferences(p: Fields, spec: ApplicableSpec): void {
  const devices = ((spec.domain ??= {}).devices ??= {});
  for (const [from, to] of DEVICE_PREFERENCES) fillIn(devices, to, p[from]);
  if (p.preferredDisableHotplug !== undefined) devices.disableHotplug = p.preferredDisableHotplug;
  if (p.preferredVideoType !== undefined) fillIn((devices.video ??= {}) as Fields, 'type', p.preferredVideoType);
  if (p.preferredSoundModel !== undefined && devices.sound) fillIn(devices.sound as Fields, 'model', p.preferredSoundModel);
  const items: Array<[string, ItemPreference]> = [
    ['disks', diskPreference],
    ['interfaces', interfacePreference],
    ['inputs', inputPreference],
  ];
  for (const [list, apply] of items) for (const item of (devices[list] ?? []) as Fields[]) apply(p, item, spec);
}

/** `preferredX: {...}` features become `x: {...}` when the VMI has no such feature. */
function applyFeaturePreferences(p: Fields, spec: ApplicableSpec): void {
  const domain = (spec.domain ??= {});
  for (const [key, value] of Object.entries(p)) {
    const feature = key.replace(/^preferred/, '');
    const name = feature.charAt(0).toLowerCase() + feature.slice(1);
    if (name === 'hyperv' && domain.features?.hyperv)
      for (const [k, v] of Object.entries(value as Fields)) fillIn(domain.features.hyperv as Fields, k, v);
    else fillIn((domain.features ??= {}), name, value);
  }
}

function applyFirmwarePreferences(p: Fields, spec: ApplicableSpec): void {
  const firmware = ((spec.domain ??= {}).firmware ??= {});
  const bootloader = (firmware.bootloader ??= {}) as Fields;
  if (p.preferredUseBios === true && !bootloader.bios && !bootloader.efi) bootloader.bios = {};
  if (p.preferredUseBiosSerial !== undefined && bootloader.bios) fillIn(bootloader.bios as Fields, 'useSerial', p.preferredUseBiosSerial);
  if (p.preferredEfi !== undefined && !bootloader.efi && !bootloader.bios) bootloader.efi = structuredClone(p.preferredEfi);
  else {
    if (p.preferredUseEfi === true && !bootloader.efi && !bootloader.bios) bootloader.efi = {};
    if (p.preferredUseSecureBoot !== undefined && bootloader.efi) fillIn(bootloader.efi as Fields, 'secureBoot', p.preferredUseSecureBoot);
  }
  if (Object.keys(bootloader).length === 0) delete firmware.bootloader;
}

function applyPreference(pref: PreferenceSpec, spec: ApplicableSpec, metadata: { annotations?: Record<string, string> }): void {
  if (pref.devices) applyDevicePreferences(pref.devices, spec);
  if (pref.features) applyFeaturePreferences(pref.features, spec);
  if (pref.firmware) applyFirmwarePreferences(pref.firmware, spec);
  const domain = (spec.domain ??= {});
  if (pref.machine?.preferredMachineType) fillIn((domain.machine ??= {}) as Fields, 'type', pref.machine.preferredMachineType);
  if (pref.clock) {
    const clock = (domain.clock ??= {});
    fillIn(clock, 'timer', pref.clock.preferredTimer);
    if (pref.clock.preferredClockOffset && !clock.utc && !clock.timezone)
      Object.assign(clock, structuredClone(pref.clock.preferredClockOffset));
  }
  fillIn(spec, 'subdomain', pref.preferredSubdomain);
  fillIn(spec, 'terminationGracePeriodSeconds', pref.preferredTerminationGracePeriodSeconds);
  fillIn(spec, 'architecture', pref.preferredArchitecture);
  mergeAnnotations(pref.annotations, metadata, false);
}
