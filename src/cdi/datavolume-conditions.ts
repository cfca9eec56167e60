/**
 * The DataVolume conditions Bound, Ready and Running, computed as CDI's
 * DataVolume controllers compute them (pkg/controller/datavolume/conditions.go,
 * CDI v1.64.0): Bound from the claim's phase, Ready from the DataVolume's
 * phase, Running from the annotations the import controller writes on the
 * claim. A condition's times move only when its status (transition and
 * heartbeat) or its reason or message (heartbeat) change.
 */
import type { PersistentVolumeClaim } from '../kube/volumes.js';
import {
  ANN_RUNNING_CONDITION,
  ANN_RUNNING_MESSAGE,
  ANN_RUNNING_REASON,
  type DataVolumeCondition,
  type DataVolumeStatus,
} from './types.js';

type Status = DataVolumeCondition['status'];

function setCondition(
  conditions: DataVolumeCondition[],
  type: DataVolumeCondition['type'],
  status: Status,
  message: string,
  reason: string,
  now: string,
): DataVolumeCondition[] {
  const current = conditions.find((c) => c.type === type);
  const base: DataVolumeCondition = current ?? { type, status: 'Unknown' };
  let next: DataVolumeCondition;
  if (!current || current.status !== status) next = { ...base, status, lastTransitionTime: now, lastHeartbeatTime: now, message, reason };
  else if ((current.message ?? '') !== message || (current.reason ?? '') !== reason)
    next = { ...base, message, reason, lastHeartbeatTime: now };
  else return conditions;
  // Go's omitempty: an empty reason or message is not serialized.
  if (!next.message) delete next.message;
  if (!next.reason) delete next.reason;
  return current ? conditions.map((c) => (c === current ? next : c)) : [...conditions, next];
}

function boundConditions(conditions: DataVolumeCondition[], pvc: PersistentVolumeClaim | undefined, now: string): DataVolumeCondition[] {
  const notReady = (list: DataVolumeCondition[]) => setCondition(list, 'Ready', 'False', '', '', now);
  if (!pvc) return notReady(setCondition(conditions, 'Bound', 'False', 'No PVC found', 'NotFound', now));
  const name = pvc.metadata.name ?? '';
  switch (pvc.status?.phase) {
    case 'Bound':
      return setCondition(conditions, 'Bound', 'True', `PVC ${name} Bound`, 'Bound', now);
    case 'Pending':
      return notReady(setCondition(conditions, 'Bound', 'False', `PVC ${name} Pending`, 'Pending', now));
    case 'Lost':
      return notReady(setCondition(conditions, 'Bound', 'False', 'Claim Lost', 'ClaimLost', now));
    default:
      return notReady(setCondition(conditions, 'Bound', 'False', '', '', now));
  }
}

function runningConditions(conditions: DataVolumeCondition[], annotations: Record<string, string>, now: string): DataVolumeCondition[] {
  const message = annotations[ANN_RUNNING_MESSAGE] ?? '';
  const reason = annotations[ANN_RUNNING_REASON] ?? '';
  const running = annotations[ANN_RUNNING_CONDITION]?.toLowerCase();
  if (running === 'true') {
    // A transfer in progress: Running, and not Ready while it runs.
    const list = setCondition(conditions, 'Running', 'True', message, reason, now);
    return setCondition(list, 'Ready', 'False', '', 'TransferRunning', now);
  }
  return setCondition(conditions, 'Running', running === undefined || running === 'false' ? 'False' : 'Unknown', message, reason, now);
}

/** updateConditions: Bound, Ready and Running for the status's phase and the claim (absent until created). */
export function dataVolumeConditions(status: DataVolumeStatus, pvc: PersistentVolumeClaim | undefined, now: string): DataVolumeCondition[] {
  const ready: Status = status.phase === 'Succeeded' ? 'True' : status.phase === 'Unknown' ? 'Unknown' : 'False';
  let conditions = boundConditions(status.conditions ?? [], pvc, now);
  conditions = setCondition(conditions, 'Ready', ready, '', '', now);
  return runningConditions(conditions, pvc?.metadata.annotations ?? {}, now);
}
