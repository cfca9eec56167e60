/**
 * The parts of KubeVirt's VirtualMachine and VirtualMachineInstance that
 * virt-controller reads and writes (kubevirt.io/api/core/v1 types.go).
 * Everything else in spec is carried along untouched.
 */
import type { KubeObject } from '../../api/types.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

export type VmiPhase = '' | 'Pending' | 'Scheduling' | 'Scheduled' | 'Running' | 'Succeeded' | 'Failed' | 'WaitingForSync' | 'Unknown';

export interface PhaseTransition {
  phase: VmiPhase;
  phaseTransitionTimestamp: string;
}

export interface Volume {
  name: string;
  containerDisk?: { image: string; imagePullPolicy?: string; path?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  dataVolume?: { name: string };
  [source: string]: unknown;
}

export interface VmiSpec {
  domain: {
    cpu?: { cores?: number; sockets?: number; threads?: number; dedicatedCpuPlacement?: boolean };
    memory?: { guest?: string; hugepages?: { pageSize: string } };
    resources?: { requests?: Record<string, string>; limits?: Record<string, string>; overcommitGuestOverhead?: boolean };
    devices?: {
      disks?: Array<{ name: string; [field: string]: unknown }>;
      filesystems?: Array<{ name: string }>;
      interfaces?: Array<{
        name: string;
        model?: string;
        ports?: Array<{ name?: string; port: number; protocol?: string }>;
        [binding: string]: unknown;
      }>;
      autoattachPodInterface?: boolean;
      autoattachGraphicsDevice?: boolean;
      autoattachSerialConsole?: boolean;
      inputs?: unknown[];
      [field: string]: unknown;
    };
    firmware?: { uuid?: string; serial?: string; [field: string]: unknown };
    [field: string]: unknown;
  };
  volumes?: Volume[];
  networks?: Array<{ name: string; [source: string]: unknown }>;
  nodeSelector?: Record<string, string>;
  hostname?: string;
  subdomain?: string;
  terminationGracePeriodSeconds?: number;
  architecture?: string;
  startStrategy?: string;
  [field: string]: unknown;
}

export interface VmiStatus {
  phase?: VmiPhase;
  phaseTransitionTimestamps?: PhaseTransition[];
  conditions?: Condition[];
  nodeName?: string;
  reason?: string;
  activePods?: Record<string, string>;
  qosClass?: string;
  launcherContainerImageVersion?: string;
  migrationTransport?: string;
  virtualMachineRevisionName?: string;
  interfaces?: Array<{ name: string; podInterfaceName?: string; [field: string]: unknown }>;
  volumeStatus?: Array<{ name: string; [field: string]: unknown }>;
  memory?: { memoryOverhead?: string; [field: string]: unknown };
  migrationState?: { startTimestamp?: string; endTimestamp?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface VirtualMachineInstance extends KubeObject {
  spec: VmiSpec;
  status?: VmiStatus;
}

export type RunStrategy = 'Always' | 'RerunOnFailure' | 'Manual' | 'Halted' | 'Once' | 'WaitAsReceiver';

export interface StateChangeRequest {
  action: 'Start' | 'Stop';
  data?: Record<string, string>;
  uid?: string;
}

export interface StartFailure {
  consecutiveFailCount: number;
  lastFailedVMIUID?: string;
  retryAfterTimestamp?: string;
}

export interface VmStatus {
  printableStatus?: string;
  created?: boolean;
  ready?: boolean;
  conditions?: Condition[];
  stateChangeRequests?: StateChangeRequest[];
  runStrategy?: string;
  startFailure?: StartFailure;
  observedGeneration?: number;
  desiredGeneration?: number;
  [field: string]: unknown;
}

export interface VirtualMachine extends KubeObject {
  spec: {
    running?: boolean;
    runStrategy?: RunStrategy;
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
      spec: VmiSpec;
    };
    [field: string]: unknown;
  };
  status?: VmStatus;
}

export const FINAL_PHASES: readonly VmiPhase[] = ['Succeeded', 'Failed'];
export const isFinal = (vmi: VirtualMachineInstance): boolean => FINAL_PHASES.includes(vmi.status?.phase ?? '');
/** Not yet handled by the controller: no phase, or Pending. */
export const isUnprocessed = (vmi: VirtualMachineInstance): boolean => (vmi.status?.phase ?? '') === '' || vmi.status?.phase === 'Pending';
