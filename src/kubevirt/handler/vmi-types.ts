/**
 * The typed shape of the VirtualMachineInstance fields virt-handler reads and
 * writes (kubevirt.io/v1), and the keys it shares with the other components.
 */
import type { KubeObject } from '../../api/types.js';
import type { KindRef } from '../../client/client.js';

export const VMI_REF: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' };

/** The install namespace of the release manifests, where the virt-handler DaemonSet runs. */
export const KUBEVIRT_NAMESPACE = 'kubevirt';
export const HANDLER_POD_SELECTOR = 'kubevirt.io=virt-handler';
export const LAUNCHER_POD_SELECTOR = 'kubevirt.io=virt-launcher';
/** Launcher pod label naming the UID of the VMI it runs. */
export const CREATED_BY_LABEL = 'kubevirt.io/created-by';
export const NODE_NAME_LABEL = 'kubevirt.io/nodeName';
/** Emulator-only VMI annotation: "true"/"false" overrides whether the guest image has a guest agent. */
export const GUEST_AGENT_ANNOTATION = 'emulator.kubevirt.io/guest-agent';

export type VmiPhase = '' | 'Pending' | 'Scheduling' | 'Scheduled' | 'Running' | 'Succeeded' | 'Failed' | 'WaitingForSync' | 'Unknown';

export interface VmiCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime: string | null;
  lastTransitionTime: string | null;
}

export interface VmiInterfaceStatus {
  name?: string;
  podInterfaceName?: string;
  mac?: string;
  ipAddress?: string;
  ipAddresses?: string[];
  interfaceName?: string;
  infoSource?: string;
  queueCount?: number;
  linkState?: string;
}

export interface VmiVolumeStatus {
  name: string;
  target: string;
  containerDiskVolume?: { checksum?: number };
  [field: string]: unknown;
}

export interface VmiStatus {
  phase?: VmiPhase;
  nodeName?: string;
  reason?: string;
  conditions?: VmiCondition[];
  phaseTransitionTimestamps?: Array<{ phase: string; phaseTransitionTimestamp: string }>;
  interfaces?: VmiInterfaceStatus[];
  guestOSInfo?: Record<string, string>;
  migrationMethod?: string;
  machine?: { type: string };
  selinuxContext?: string;
  memory?: { guestAtBoot?: string; guestCurrent?: string; guestRequested?: string; memoryOverhead?: string };
  currentCPUTopology?: { sockets?: number; cores?: number; threads?: number };
  volumeStatus?: VmiVolumeStatus[];
  [field: string]: unknown;
}

export interface VmiDisk {
  name: string;
  disk?: { bus?: string };
  cdrom?: { bus?: string; readonly?: boolean };
  lun?: { bus?: string };
  [field: string]: unknown;
}

export interface VmiInterface {
  name: string;
  macAddress?: string;
  model?: string;
  bridge?: object;
  masquerade?: object;
  sriov?: object;
  passtBinding?: object;
  binding?: { name: string };
  /** `absent` while the interface is being hot-unplugged. */
  state?: string;
  [field: string]: unknown;
}

export interface VmiNetwork {
  name: string;
  pod?: object;
  /** A Multus network; `default` replaces the pod network. */
  multus?: { networkName?: string; default?: boolean };
}

export interface VmiVolume {
  name: string;
  containerDisk?: { image?: string };
  persistentVolumeClaim?: { claimName?: string };
  dataVolume?: { name?: string };
  hostDisk?: object;
  [field: string]: unknown;
}

export interface VmiSpec {
  terminationGracePeriodSeconds?: number;
  domain?: {
    cpu?: { model?: string; sockets?: number; cores?: number; threads?: number };
    memory?: { guest?: string };
    resources?: { requests?: Record<string, string> };
    devices?: { disks?: VmiDisk[]; interfaces?: VmiInterface[]; hostDevices?: unknown[]; gpus?: unknown[] };
    [field: string]: unknown;
  };
  networks?: VmiNetwork[];
  volumes?: VmiVolume[];
  [field: string]: unknown;
}

export interface VirtualMachineInstance extends KubeObject {
  spec?: VmiSpec;
  status?: VmiStatus;
}

export const isFinalPhase = (phase: VmiPhase | undefined): boolean => phase === 'Succeeded' || phase === 'Failed';

export const vmiKey = (namespace: string, name: string): string => `${namespace}/${name}`;
