/**
 * The VMI status virt-handler writes from what it sees of the domain
 * (updateVMIStatus in pkg/virt-handler/vm.go): the phase the domain state
 * maps to, the handler's conditions, interfaces with the pod's IPs, the
 * guest agent's OS info, volume targets, machine type and memory. Pure: the
 * caller passes the current VMI, domain and launcher pod facts.
 */
import { sha256Hex } from '../../kube/sha256.js';
import type { Domain } from './domains.js';
import { migrationBlockers, migrationMethod } from './migratable.js';
import { podInterfaceName } from './pod-network.js';
import { type HotplugVolumeStatus, hotplugVolumeStatus, isAttachedToDomain, memoryDumpVolumeStatus } from './hotplug-volumes.js';
import type { VirtualMachineInstance, VmiCondition, VmiInterfaceStatus, VmiPhase, VmiStatus, VmiVolumeStatus } from './vmi-types.js';

/** The machine type QEMU resolves `q35` to in the virt-launcher image (CentOS Stream 9 QEMU). */
export const RESOLVED_Q35_MACHINE = 'pc-q35-rhel9.6.0';
export const SYNC_FAILED_REASON = 'Synchronizing with the Domain failed.';

export interface HandlerFacts {
  vmi: VirtualMachineInstance;
  domain: Domain | undefined;
  /** The launcher pod runs (its compute container has not ended). */
  launcherAlive: boolean;
  /** The launcher pod's IPs, primary first. */
  podIPs: string[];
  /** The launcher pod's interfaces that Multus reports attached (its network-status annotation). */
  multusAttached: ReadonlySet<string>;
  /** Why the last sync failed (the domain did not start, a pod link is missing); undefined when it did not. */
  syncError: string | undefined;
  nodeName: string;
  nodeHasHostModel: boolean;
  /** RFC 3339 now. */
  now: string;
}

/** calculateVmPhaseForStatusReason: the phase the domain's state stands for. */
export function phaseFromDomain(current: VmiPhase, domain: Domain | undefined, launcherAlive: boolean): VmiPhase {
  if (!domain) {
    if (current === 'Scheduled') return launcherAlive ? 'Scheduled' : 'Failed';
    return current === 'Running' ? 'Failed' : current;
  }
  // virt-launcher gives up on a QEMU that did not start and exits.
  if (domain.startFailure) return 'Failed';
  switch (domain.state) {
    case 'Defined':
      return current;
    case 'Running':
    case 'Paused':
      return 'Running';
    case 'Shutoff':
      if (domain.reason === 'Crashed') return 'Failed';
      if (domain.reason === 'Destroyed' && domain.killedAfterGracePeriod) return 'Failed';
      return 'Succeeded';
  }
}

/** A libvirt-style MAC (52:54:00 prefix), fixed per VMI and interface. */
export function generatedMac(uid: string, iface: string): string {
  const hex = sha256Hex(`${uid}/${iface}`);
  return `52:54:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

/**
 * Which timestamps virt-handler stamps a condition with, as its code builds each one: LiveMigratable and
 * StorageLiveMigratable carry none (both serialise as null), AgentConnected only its probe time, Synchronized
 * (CheckFailure) and Paused both.
 */
type Stamps = 'none' | 'probe' | 'both';

/** A condition that still says the same (status, reason, message) is kept as it is, timestamps included; otherwise replaced. */
function setCondition(
  conditions: VmiCondition[],
  next: Omit<VmiCondition, 'lastProbeTime' | 'lastTransitionTime'>,
  stamps: Stamps,
  now: string,
): VmiCondition[] {
  const old = conditions.find((c) => c.type === next.type);
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return conditions;
  const condition: VmiCondition = {
    type: next.type,
    status: next.status,
    lastProbeTime: stamps === 'none' ? null : now,
    lastTransitionTime: stamps === 'both' ? now : null,
  };
  if (next.reason) condition.reason = next.reason;
  if (next.message) condition.message = next.message;
  return old ? conditions.map((c) => (c === old ? condition : c)) : [...conditions, condition];
}

const withoutCondition = (conditions: VmiCondition[], type: string): VmiCondition[] => conditions.filter((c) => c.type !== type);

function handlerConditions(facts: HandlerFacts, phase: VmiPhase): VmiCondition[] {
  const { vmi, domain, syncError, now } = facts;
  let conditions = [...(vmi.status?.conditions ?? [])];
  conditions = syncError
    ? setCondition(conditions, { type: 'Synchronized', status: 'False', reason: SYNC_FAILED_REASON, message: syncError }, 'both', now)
    : withoutCondition(conditions, 'Synchronized');
  if (domain) {
    const blockers = migrationBlockers(vmi, facts.nodeName, facts.nodeHasHostModel);
    const first = blockers[0];
    conditions = setCondition(
      conditions,
      first
        ? { type: 'LiveMigratable', status: 'False', reason: first.reason, message: first.message }
        : { type: 'LiveMigratable', status: 'True' },
      'none',
      now,
    );
    const nonStorage = blockers.filter((b) => !b.storage);
    conditions = setCondition(
      conditions,
      nonStorage.length
        ? {
            type: 'StorageLiveMigratable',
            status: 'False',
            reason: 'NotMigratable',
            message: nonStorage.map((b) => `${b.reason}: ${b.message}`).join(', '),
          }
        : { type: 'StorageLiveMigratable', status: 'True' },
      'none',
      now,
    );
  }
  const running = phase === 'Running';
  conditions =
    running && domain?.agentConnected
      ? setCondition(conditions, { type: 'AgentConnected', status: 'True' }, 'probe', now)
      : withoutCondition(conditions, 'AgentConnected');
  conditions =
    running && domain?.state === 'Paused'
      ? setCondition(conditions, { type: 'Paused', status: 'True', reason: 'PausedByUser', message: 'VMI was paused by user' }, 'both', now)
      : withoutCondition(conditions, 'Paused');
  return conditions;
}

function interfaceStatuses(facts: HandlerFacts): VmiInterfaceStatus[] {
  const { vmi, domain, podIPs } = facts;
  const agent = domain?.agentConnected === true;
  const existing = vmi.status?.interfaces ?? [];
  const interfaces = vmi.spec?.domain?.devices?.interfaces ?? [];
  return interfaces.flatMap((iface, index): VmiInterfaceStatus[] => {
    const network = vmi.spec?.networks?.find((n) => n.name === iface.name);
    const onPodNetwork = network?.pod !== undefined;
    const reportedByMultus = network?.multus !== undefined && facts.multusAttached.has(podInterfaceName(network));
    // virt-launcher makes an SR-IOV VF a host device of the domain only once Multus reported it; otherwise the guest has no such NIC.
    if (iface.sriov !== undefined && !reportedByMultus) return [];
    const status: VmiInterfaceStatus = { ...existing.find((s) => s.name === iface.name), name: iface.name };
    status.mac = iface.macAddress ?? generatedMac(vmi.metadata.uid ?? '', iface.name);
    status.queueCount = 1;
    status.linkState = 'up';
    const sources = ['domain'];
    if (onPodNetwork) {
      status.podInterfaceName = 'eth0';
      if (podIPs.length) {
        status.ipAddress = podIPs[0];
        status.ipAddresses = [...podIPs];
      }
    } else if (network?.multus) {
      status.podInterfaceName = podInterfaceName(network);
      if (reportedByMultus) sources.push('multus-status');
    }
    if (agent) {
      status.interfaceName = `eth${index}`;
      sources.splice(1, 0, 'guest-agent');
    } else {
      delete status.interfaceName;
    }
    status.infoSource = sources.join(', ');
    return [status];
  });
}

/**
 * Device names as libvirt assigns them per bus: vda, vdb for virtio; sda, sdb for sata/scsi. A hotplugged disk is in
 * the domain (and gets the next name of its bus) only once its volume is mounted into the launcher.
 */
function diskTargets(vmi: VirtualMachineInstance): Map<string, string> {
  const counters = new Map<string, number>();
  const targets = new Map<string, string>();
  const statuses = new Map((vmi.status?.volumeStatus ?? []).map((s) => [s.name, s as HotplugVolumeStatus]));
  for (const disk of vmi.spec?.domain?.devices?.disks ?? []) {
    if (!isAttachedToDomain(statuses.get(disk.name))) continue;
    const bus = disk.disk?.bus ?? disk.cdrom?.bus ?? disk.lun?.bus ?? (disk.cdrom ? 'sata' : 'virtio');
    const prefix = bus === 'virtio' ? 'vd' : 'sd';
    const n = counters.get(prefix) ?? 0;
    counters.set(prefix, n + 1);
    targets.set(disk.name, `${prefix}${String.fromCharCode(97 + n)}`);
  }
  return targets;
}

/** The statuses of the spec's volumes with their targets, hotplug ones moved on, and those of unplugged volumes kept. */
function volumeStatuses(vmi: VirtualMachineInstance, now: string): VmiVolumeStatus[] {
  const targets = diskTargets(vmi);
  const existing = vmi.status?.volumeStatus ?? [];
  const specVolumes = vmi.spec?.volumes ?? [];
  const volumes = specVolumes.filter((v) => targets.has(v.name) || existing.some((s) => s.name === v.name));
  const inSpec = volumes.map((volume): VmiVolumeStatus => {
    const status: HotplugVolumeStatus = {
      ...existing.find((s) => s.name === volume.name),
      name: volume.name,
      target: targets.get(volume.name) ?? '',
    };
    if (volume.containerDisk?.image && !status.containerDiskVolume)
      status.containerDiskVolume = { checksum: parseInt(sha256Hex(volume.containerDisk.image).slice(0, 8), 16) };
    const next = status.hotplugVolume ? hotplugVolumeStatus(status, true) : status;
    return next.memoryDumpVolume ? memoryDumpVolumeStatus(vmi.metadata.name ?? '', next, now) : next;
  });
  const unplugged = existing
    .filter((s) => (s as HotplugVolumeStatus).hotplugVolume && !specVolumes.some((v) => v.name === s.name))
    .map((s) => hotplugVolumeStatus({ ...s, target: '' }, false));
  // By byte order, as virt-handler's strings.Compare (a locale's order puts "B" after "a").
  return [...inSpec, ...unplugged].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function memoryStatus(vmi: VirtualMachineInstance): VmiStatus['memory'] {
  const guest = vmi.spec?.domain?.memory?.guest ?? vmi.spec?.domain?.resources?.requests?.memory;
  const memory = { ...vmi.status?.memory };
  memory.guestAtBoot ??= guest;
  memory.guestRequested ??= guest;
  memory.guestCurrent = memory.guestAtBoot;
  return memory;
}

function machineType(vmi: VirtualMachineInstance): string {
  const requested = (vmi.spec?.domain?.machine as { type?: string } | undefined)?.type;
  return !requested || requested === 'q35' ? RESOLVED_Q35_MACHINE : requested;
}

/** The status virt-handler writes now; equal (deeply) to the current one when there is nothing to report. */
export function handlerStatus(facts: HandlerFacts): VmiStatus {
  const { vmi, domain, now } = facts;
  const current = vmi.status ?? {};
  const phase = phaseFromDomain(current.phase ?? '', domain, facts.launcherAlive);
  const status: VmiStatus = { ...current, phase, conditions: handlerConditions(facts, phase) };
  if (phase !== current.phase)
    status.phaseTransitionTimestamps = [...(current.phaseTransitionTimestamps ?? []), { phase, phaseTransitionTimestamp: now }];
  if (domain && domain.state !== 'Defined') {
    status.migrationMethod = migrationMethod(vmi);
    status.machine = { type: machineType(vmi) };
    status.selinuxContext = 'none';
    status.memory = memoryStatus(vmi);
    status.currentCPUTopology ??= {
      sockets: vmi.spec?.domain?.cpu?.sockets ?? 1,
      cores: vmi.spec?.domain?.cpu?.cores ?? 1,
      threads: vmi.spec?.domain?.cpu?.threads ?? 1,
    };
    status.volumeStatus = volumeStatuses(vmi, now);
    if (phase === 'Running') {
      status.interfaces = interfaceStatuses(facts);
      status.guestOSInfo = domain.agentConnected ? { ...domain.guest.osInfo } : {};
    }
  }
  return status;
}

export interface PhaseEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The events virt-handler records when the VMI's phase changes. */
export function phaseChangeEvent(from: VmiPhase | undefined, to: VmiPhase | undefined): PhaseEvent | undefined {
  if (from === to) return undefined;
  if (to === 'Running') return { type: 'Normal', reason: 'Started', message: 'VirtualMachineInstance started.' };
  if (to === 'Succeeded') return { type: 'Normal', reason: 'Stopped', message: 'The VirtualMachineInstance was shut down.' };
  if (to === 'Failed') return { type: 'Warning', reason: 'Stopped', message: 'The VirtualMachineInstance crashed.' };
  return undefined;
}
