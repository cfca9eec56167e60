/**
 * The defaults virt-api's VMI mutator writes (behaviour reference §3.1):
 * SetDefaultVirtualMachineInstanceSpec, the generated object defaults with
 * the amd64/arm64/s390x arch defaults, and the live-update hotplug limits.
 * Each function changes the spec it is given (a private copy).
 */
import { formatQuantity, parseQuantity } from '../../../kube/quantity.js';
import type { AdmissionConfig } from './config.js';
import type { Disk, Probe, VmiSpec } from './spec-types.js';

const MACHINE_TYPES: Record<string, string> = { amd64: 'q35', arm64: 'virt', s390x: 's390-ccw-virtio' };
const Mi = 2 ** 20;
const Gi = 2 ** 30;
/** Upper bound of sockets × cores × threads for CPU hotplug. */
const MAX_VCPUS = 512;

export const defaultMachineType = (architecture: string): string => MACHINE_TYPES[architecture] ?? 'q35';

/** An image without tag or digest, or tagged latest, is pulled Always; any other IfNotPresent (as for pods). */
export function imagePullPolicyFor(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon < 0 ? '' : lastSegment.slice(colon + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

const cpuCount = (quantity: string | undefined): number | undefined =>
  quantity === undefined ? undefined : Math.ceil(parseQuantity(quantity, 3) / 1000);

/** SetDefaultVirtualMachineInstanceSpec. Throws the error text the mutator answers with (400) for a forbidden default binding. */
export function setDefaultVmiSpec(spec: VmiSpec, config: AdmissionConfig): void {
  spec.architecture ||= config.defaultArchitecture;
  const domain = (spec.domain ??= {});
  domain.machine = { ...domain.machine, type: domain.machine?.type || defaultMachineType(spec.architecture) };

  const resources = domain.resources;
  if (resources?.limits?.cpu !== undefined && resources.requests?.cpu === undefined)
    resources.requests = { ...resources.requests, cpu: resources.limits.cpu };

  const guestMemory = resources?.requests?.memory ?? resources?.limits?.memory ?? domain.memory?.hugepages?.pageSize;
  if (!domain.memory?.guest && guestMemory !== undefined) domain.memory = { ...domain.memory, guest: guestMemory };

  const cpu = domain.cpu;
  if (!cpu || (!cpu.sockets && !cpu.cores && !cpu.threads)) {
    const sockets = cpuCount(resources?.limits?.cpu) ?? cpuCount(resources?.requests?.cpu) ?? 1;
    domain.cpu = { ...cpu, cores: 1, threads: 1, sockets: Math.max(sockets, 1) };
  }

  for (const volume of spec.volumes ?? []) {
    if (volume.containerDisk?.image && !volume.containerDisk.imagePullPolicy)
      volume.containerDisk.imagePullPolicy = imagePullPolicyFor(volume.containerDisk.image);
  }
  spec.evictionStrategy ??= config.evictionStrategy;
  setDefaultPodNetwork(spec, config);
  setDefaultVolumeDisks(spec);
}

function setDefaultPodNetwork(spec: VmiSpec, config: AdmissionConfig): void {
  const devices = (spec.domain!.devices ??= {});
  if (devices.autoattachPodInterface === false || (spec.networks?.length ?? 0) > 0 || (devices.interfaces?.length ?? 0) > 0) return;
  const binding = config.defaultNetworkInterface;
  if (binding === 'slirp') throw new Error('slirp interface is deprecated as of v1.3');
  if (binding === 'bridge' && !config.permitBridgeInterfaceOnPodNetwork)
    throw new Error('bridge interface is not enabled in kubevirt-config');
  devices.interfaces = [{ name: 'default', [binding === 'masquerade' ? 'masquerade' : 'bridge']: {} }];
  spec.networks = [{ name: 'default', pod: {} }];
}

/** pkg/util SetDefaultVolumeDisk: a volume that no disk or filesystem uses gets a disk of its name. */
function setDefaultVolumeDisks(spec: VmiSpec): void {
  const devices = spec.domain!.devices!;
  const used = new Set([...(devices.disks ?? []).map((d) => d.name), ...(devices.filesystems ?? []).map((f) => f.name)]);
  for (const volume of spec.volumes ?? []) {
    if (!used.has(volume.name)) (devices.disks ??= []).push({ name: volume.name });
  }
}

/** A feature-state struct that is present is enabled unless it says otherwise. */
function enableFeatureStates(features: Record<string, unknown>): void {
  for (const [name, state] of Object.entries(features)) {
    if (name === 'hyperv' || name === 'kvm' || typeof state !== 'object' || state === null) continue;
    const feature = state as { enabled?: boolean };
    feature.enabled ??= true;
  }
  const hyperv = features.hyperv as Record<string, { enabled?: boolean; spinlocks?: number } | undefined> | undefined;
  for (const state of Object.values(hyperv ?? {})) if (state && typeof state === 'object') state.enabled ??= true;
  if (hyperv?.spinlocks && hyperv.spinlocks.enabled !== false) hyperv.spinlocks.spinlocks ??= 4096;
}

function setDiskDefaults(disk: Disk, architecture: string): void {
  if (!disk.disk && !disk.cdrom && !disk.lun) disk.disk = {};
  const bus = architecture === 'amd64' ? 'sata' : 'virtio';
  if (disk.cdrom) {
    disk.cdrom.readonly ??= true;
    disk.cdrom.tray ||= 'closed';
  }
  for (const target of [disk.disk, disk.cdrom, disk.lun]) if (target && !target.bus) target.bus = bus;
}

function setProbeDefaults(probe: Probe | undefined): void {
  if (!probe) return;
  if (!probe.timeoutSeconds || probe.timeoutSeconds < 1) probe.timeoutSeconds = 1;
  probe.periodSeconds ||= 10;
  probe.successThreshold ||= 1;
  probe.failureThreshold ||= 3;
}

/** SetObjectDefaults_VirtualMachineInstance with the arch defaults; `uuid` is the firmware UUID to use when none is set. */
export function setObjectDefaults(spec: VmiSpec, config: AdmissionConfig, uuid: string): void {
  const domain = spec.domain!;
  domain.firmware = { ...domain.firmware, uuid: domain.firmware?.uuid || uuid };
  domain.features ??= { acpi: {} };
  enableFeatureStates(domain.features);
  const architecture = spec.architecture ?? config.defaultArchitecture;
  for (const disk of domain.devices?.disks ?? []) setDiskDefaults(disk, architecture);
  const watchdog = domain.devices?.watchdog;
  if (watchdog && architecture === 'amd64' && !watchdog.i6300esb && Object.keys(watchdog).every((k) => k === 'name'))
    watchdog.i6300esb = { action: 'reset' };
  else if (watchdog?.i6300esb) watchdog.i6300esb.action ||= 'reset';
  for (const input of domain.devices?.inputs ?? []) {
    input.bus ||= 'usb';
    input.type ||= 'tablet';
  }
  setProbeDefaults(spec.readinessProbe);
  setProbeDefaults(spec.livenessProbe);
  domain.cpu = { ...domain.cpu, model: domain.cpu?.model || config.cpuModel };
}

/** Memory hotplug needs amd64, at least 1Gi, block alignment, and none of the features that pin memory. */
function memoryHotplugPossible(spec: VmiSpec, guest: number, maxGuest: number): boolean {
  const domain = spec.domain!;
  const alignment = domain.memory?.hugepages?.pageSize === '1Gi' ? Gi : 2 * Mi;
  return (
    spec.architecture === 'amd64' &&
    guest >= Gi &&
    guest % alignment === 0 &&
    maxGuest % alignment === 0 &&
    !domain.cpu?.realtime &&
    !domain.launchSecurity &&
    !(domain.memory as { guestMappingPassthrough?: unknown } | undefined)?.guestMappingPassthrough
  );
}

/** The live-update limits (vmRolloutStrategy LiveUpdate, not on arm64): maxSockets and, where hotplug is possible, maxGuest. */
export function setLiveUpdateDefaults(spec: VmiSpec, config: AdmissionConfig): void {
  if (config.vmRolloutStrategy !== 'LiveUpdate' || spec.architecture === 'arm64') return;
  const cpu = spec.domain!.cpu!;
  const sockets = cpu.sockets ?? 1;
  const perSocket = (cpu.cores || 1) * (cpu.threads || 1);
  if (!cpu.maxSockets) {
    let maxSockets = config.maximumCpuSockets ? Math.max(config.maximumCpuSockets, sockets) : sockets * config.maxHotplugRatio;
    if (maxSockets * perSocket > MAX_VCPUS) maxSockets = Math.max(Math.floor(MAX_VCPUS / perSocket), sockets);
    cpu.maxSockets = maxSockets;
  }
  const memory = spec.domain!.memory;
  if (!memory?.guest || memory.maxGuest) return;
  const guest = parseQuantity(memory.guest);
  const maxGuest = config.maximumGuestMemory ? parseQuantity(config.maximumGuestMemory) : guest * config.maxHotplugRatio;
  if (memoryHotplugPossible(spec, guest, maxGuest)) memory.maxGuest = config.maximumGuestMemory ?? formatQuantity('memory', maxGuest);
}
