/**
 * The VM's status as the VM controller computes it after each sync (vm.go
 * updateStatus): created/ready, generations, the effective run strategy, the
 * first state-change request trimmed once done, crash-loop bookkeeping,
 * conditions mirrored from the VMI, and printableStatus in KubeVirt's order.
 */
import { findCondition, hasCondition, withCondition, withoutCondition } from '../conditions.js';
import { ANNOTATION_VM_GENERATION } from '../constants.js';
import { nextStartFailure } from './crash-loop.js';
import { isSetToStart, runStrategyOf } from './run-strategy.js';
import { isFinal, isUnprocessed, type Condition, type VirtualMachine, type VirtualMachineInstance, type VmStatus } from '../types.js';
import type { SyncError } from '../vmi/vmi-status.js';
import type { DataVolume } from '../datavolume/datavolume-cache.js';
import { hasDataVolumeErrors, hasDataVolumeProvisioning } from '../datavolume/volume-readiness.js';

export interface VmStatusInput {
  vm: VirtualMachine;
  vmi: VirtualMachineInstance | undefined;
  syncError: SyncError | undefined;
  /** The controller created a VMI its informer has not shown yet. */
  startExpected: boolean;
  /** The controller deleted the VMI and its informer has not shown that yet. */
  stopExpected: boolean;
  /** Phase of each PersistentVolumeClaim the template refers to that exists. */
  claimPhases: ReadonlyMap<string, string>;
  /** CDI's DataVolume of a name in the VM's namespace (none without CDI). */
  dataVolume?: (name: string) => DataVolume | undefined;
  nowMs: number;
  now: string;
  /** In [0, 1): the crash-loop jitter. */
  random: number;
}

/** VMI conditions the VM keeps for itself instead of mirroring. */
const NOT_MIRRORED = ['Ready', 'Failure', 'RestartRequired'];

/** Whether the first state-change request has been carried out (isTrimFirstChangeRequestNeeded). */
function firstRequestDone(status: VmStatus, vmi: VirtualMachineInstance | undefined): boolean {
  const request = status.stateChangeRequests?.[0];
  if (!request) return false;
  if (request.action === 'Stop') return !vmi || request.uid === undefined || request.uid !== vmi.metadata.uid;
  return vmi !== undefined && !vmi.metadata.deletionTimestamp && !isFinal(vmi);
}

function readyCondition(vmi: VirtualMachineInstance | undefined, now: string): Condition {
  if (!vmi)
    return {
      type: 'Ready',
      status: 'False',
      reason: 'VMINotExists',
      message: 'VMI does not exist',
      lastProbeTime: now,
      lastTransitionTime: now,
    };
  const ready = findCondition(vmi.status?.conditions, 'Ready');
  if (!ready)
    return {
      type: 'Ready',
      status: 'False',
      reason: 'VMIConditionMissing',
      message: 'VMI is missing the Ready condition',
      lastProbeTime: now,
      lastTransitionTime: now,
    };
  return { ...ready };
}

function vmConditions(input: VmStatusInput, current: readonly Condition[] | undefined): Condition[] {
  const { vmi, syncError, now } = input;
  let conditions = withCondition(current, readyCondition(vmi, now));
  conditions = syncError
    ? withCondition(conditions, {
        type: 'Failure',
        status: 'True',
        reason: syncError.reason,
        message: syncError.message,
        lastProbeTime: null,
        lastTransitionTime: now,
      })
    : withoutCondition(conditions, 'Failure');
  if (!vmi) return conditions;
  const mirrored = (vmi.status?.conditions ?? []).filter((c) => !NOT_MIRRORED.includes(c.type));
  for (const condition of mirrored) conditions = withCondition(conditions, { ...condition });
  return conditions.filter((c) => NOT_MIRRORED.includes(c.type) || mirrored.some((m) => m.type === c.type));
}

function isMigrating(vmi: VirtualMachineInstance, nowMs: number): boolean {
  const state = vmi.status?.migrationState;
  if (!state?.startTimestamp || Date.parse(state.startTimestamp) > nowMs) return false;
  return !state.endTimestamp || Date.parse(state.endTimestamp) > nowMs;
}

const syncReason = (vmi: VirtualMachineInstance | undefined, reason: string): boolean =>
  hasCondition(vmi?.status?.conditions, 'Synchronized', 'False', reason);

/** The template's claims (PVC and DataVolume volumes). */
export const templateClaims = (vm: VirtualMachine): string[] =>
  (vm.spec.template.spec.volumes ?? [])
    .map((v) => v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name)
    .filter((n): n is string => n !== undefined);

/** printableStatus: the first matching state in KubeVirt's precedence, else Unknown (setPrintableStatus). */
export function printableStatus(input: VmStatusInput, status: VmStatus): string {
  const { vm, vmi, nowMs } = input;
  const strategy = runStrategyOf(vm);
  const paused = hasCondition(vmi?.status?.conditions, 'Paused', 'True');
  const running = vmi?.status?.phase === 'Running';
  const dataVolume = input.dataVolume ?? (() => undefined);
  const checks: Array<[string, () => boolean]> = [
    ['Terminating', () => vm.metadata.deletionTimestamp !== undefined],
    ['Stopping', () => vmi !== undefined && !isFinal(vmi) && (vmi.metadata.deletionTimestamp !== undefined || input.stopExpected)],
    ['Migrating', () => vmi !== undefined && isMigrating(vmi, nowMs)],
    ['Paused', () => running && paused],
    ['Running', () => running && !paused],
    ['ErrorPvcNotFound', () => syncReason(vmi, 'FailedPvcNotFound')],
    ['DataVolumeError', () => hasDataVolumeErrors(vm.spec.template.spec.volumes, dataVolume)],
    ['ErrorUnschedulable', () => hasCondition(vmi?.status?.conditions, 'PodScheduled', 'False', 'Unschedulable')],
    ['Provisioning', () => hasDataVolumeProvisioning(vm.spec.template.spec.volumes, dataVolume)],
    [
      'WaitingForVolumeBinding',
      () =>
        isSetToStart(vm, vmi) &&
        templateClaims(vm).some((claim) => input.claimPhases.has(claim) && input.claimPhases.get(claim) !== 'Bound'),
    ],
    ['ErrImagePull', () => syncReason(vmi, 'ErrImagePull')],
    ['ImagePullBackOff', () => syncReason(vmi, 'ImagePullBackOff')],
    [
      'Starting',
      () => (vmi ? isUnprocessed(vmi) || vmi.status?.phase === 'Scheduling' || vmi.status?.phase === 'Scheduled' : input.startExpected),
    ],
    [
      'CrashLoopBackOff',
      () =>
        (!vmi || isFinal(vmi)) &&
        !input.startExpected &&
        (status.startFailure?.consecutiveFailCount ?? 0) > 0 &&
        ['Always', 'RerunOnFailure', 'Once'].includes(strategy),
    ],
    ['Stopped', () => (vmi ? isFinal(vmi) : !input.startExpected)],
  ];
  return checks.find(([, holds]) => holds())?.[0] ?? 'Unknown';
}

export function nextVmStatus(input: VmStatusInput): VmStatus {
  const { vm, vmi } = input;
  // A shallow copy: every nested field below is replaced, never changed in place, so unchanged parts stay the stored ones.
  const status: VmStatus = { ...vm.status };
  const created = vmi !== undefined;
  if (created) status.created = true;
  else delete status.created;
  if (created && hasCondition(vmi.status?.conditions, 'Ready', 'True')) status.ready = true;
  else delete status.ready;
  const generation = vmi?.metadata.annotations?.[ANNOTATION_VM_GENERATION];
  if (vmi && generation !== undefined && /^\d+$/.test(generation)) {
    status.observedGeneration = Number(generation);
    status.desiredGeneration = vm.metadata.generation ?? 1;
  }
  const strategy = runStrategyOf(vm);
  if (status.runStrategy || created) status.runStrategy = strategy;
  if (firstRequestDone(status, vmi)) status.stateChangeRequests = status.stateChangeRequests?.slice(1);
  if (status.stateChangeRequests?.length === 0) delete status.stateChangeRequests;
  const startFailure = nextStartFailure(status.startFailure, strategy, vmi, input.nowMs, input.random);
  if (startFailure) status.startFailure = startFailure;
  else delete status.startFailure;
  status.conditions = vmConditions(input, status.conditions);
  status.printableStatus = printableStatus(input, status);
  return status;
}
