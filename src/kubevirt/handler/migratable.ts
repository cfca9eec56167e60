/**
 * Whether a VMI could be live-migrated, as virt-handler computes it for the
 * LiveMigratable and StorageLiveMigratable conditions, and which migration
 * method its volumes call for.
 */
import type { VirtualMachineInstance, VmiVolume } from './vmi-types.js';

export interface Blocker {
  reason: string;
  message: string;
  /** Disk blockers count for LiveMigratable only. */
  storage: boolean;
}

export const ALLOW_POD_BRIDGE_MIGRATION_ANNOTATION = 'kubevirt.io/allow-pod-bridge-network-live-migration';
const RWX_MESSAGE = 'live migration requires that all PVCs must be shared (using ReadWriteMany access mode)';

function interfaceBlockers(vmi: VirtualMachineInstance): Blocker[] {
  const podNetwork = vmi.spec?.networks?.find((n) => n.pod !== undefined);
  if (!podNetwork) return [];
  const iface = vmi.spec?.domain?.devices?.interfaces?.find((i) => i.name === podNetwork.name);
  if (!iface)
    return [{ reason: 'InterfaceNotLiveMigratable', message: `no primary interface found for network ${podNetwork.name}`, storage: false }];
  const bridged = iface.bridge !== undefined;
  if (bridged && vmi.metadata.annotations?.[ALLOW_POD_BRIDGE_MIGRATION_ANNOTATION] === undefined) {
    return [
      {
        reason: 'InterfaceNotLiveMigratable',
        message: 'cannot migrate VMI which does not use masquerade or a migratable plugin to connect to the pod network',
        storage: false,
      },
    ];
  }
  return [];
}

function cpuBlockers(vmi: VirtualMachineInstance, nodeName: string, nodeHasHostModel: boolean): Blocker[] {
  const model = vmi.spec?.domain?.cpu?.model ?? 'host-model';
  if (model === 'host-model' && !nodeHasHostModel) {
    return [
      { reason: 'CPUModeLiveMigratable', message: `the node "${nodeName}" does not allow migration with host-model`, storage: false },
    ];
  }
  return [];
}

function deviceBlockers(vmi: VirtualMachineInstance): Blocker[] {
  const devices = vmi.spec?.domain?.devices;
  if (devices?.hostDevices?.length)
    return [{ reason: 'HostDeviceNotLiveMigratable', message: 'VMI specifies non-migratable generic PCI host device', storage: false }];
  if (devices?.gpus?.length)
    return [
      {
        reason: 'HostDeviceNotLiveMigratable',
        message: 'VMI specifies a GPU but feature gate VGPULiveMigration is not enabled',
        storage: false,
      },
    ];
  return [];
}

/** PVC access modes as virt-controller recorded them in status.volumeStatus. */
function accessModesOf(vmi: VirtualMachineInstance, volume: string): string[] | undefined {
  const info = vmi.status?.volumeStatus?.find((v) => v.name === volume)?.persistentVolumeClaimInfo as
    | { accessModes?: string[] }
    | undefined;
  return info?.accessModes;
}

function diskBlockers(vmi: VirtualMachineInstance): Blocker[] {
  for (const volume of vmi.spec?.volumes ?? []) {
    const claim = volume.persistentVolumeClaim?.claimName ?? volume.dataVolume?.name;
    if (claim) {
      const modes = accessModesOf(vmi, volume.name);
      if (!modes)
        return [
          {
            reason: 'DisksNotLiveMigratable',
            message: `cannot migrate VMI: Unable to determine if PVC ${claim} is shared, ${RWX_MESSAGE}`,
            storage: true,
          },
        ];
      if (!modes.includes('ReadWriteMany'))
        return [
          { reason: 'DisksNotLiveMigratable', message: `cannot migrate VMI: PVC ${claim} is not shared, ${RWX_MESSAGE}`, storage: true },
        ];
    }
    if (volume.hostDisk)
      return [{ reason: 'DisksNotLiveMigratable', message: 'cannot migrate VMI with non-shared HostDisk', storage: true }];
  }
  return [];
}

/** Every reason the VMI cannot migrate, in virt-handler's order (the first is LiveMigratable's reason). */
export function migrationBlockers(vmi: VirtualMachineInstance, nodeName: string, nodeHasHostModel: boolean): Blocker[] {
  return [...interfaceBlockers(vmi), ...cpuBlockers(vmi, nodeName, nodeHasHostModel), ...deviceBlockers(vmi), ...diskBlockers(vmi)];
}

/** Volumes whose data live on the node and must be copied: containerDisk, emptyDisk, cloud-init and config ISOs, ... */
const NODE_LOCAL_SOURCES = [
  'containerDisk',
  'emptyDisk',
  'ephemeral',
  'cloudInitNoCloud',
  'cloudInitConfigDrive',
  'configMap',
  'secret',
  'serviceAccount',
  'downwardAPI',
  'downwardMetrics',
  'sysprep',
  'hostDisk',
];

function isCopiedOnMigration(vmi: VirtualMachineInstance, volume: VmiVolume): boolean {
  if (!NODE_LOCAL_SOURCES.some((source) => volume[source] !== undefined)) return false;
  const disk = vmi.spec?.domain?.devices?.disks?.find((d) => d.name === volume.name);
  // Read-only CD-ROMs are recreated on the target, and a volume without a disk is a filesystem (virtiofs).
  if (!disk) return false;
  return !(disk.cdrom && disk.cdrom.readonly !== false);
}

export const migrationMethod = (vmi: VirtualMachineInstance): 'BlockMigration' | 'LiveMigration' =>
  (vmi.spec?.volumes ?? []).some((volume) => isCopiedOnMigration(vmi, volume)) ? 'BlockMigration' : 'LiveMigration';
