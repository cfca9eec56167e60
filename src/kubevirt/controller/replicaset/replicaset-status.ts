/**
 * The status both replicating controllers of virt-controller write — the
 * VirtualMachineInstanceReplicaSet (replicaset.go updateStatus) and the
 * VirtualMachinePool (pool.go updateStatus): counts, the canonical label
 * selector the scale subresource hands out, and the ReplicaFailure and
 * ReplicaPaused conditions. Both add a condition only when it is absent (a
 * new error message does not replace an old one) and drop it once resolved.
 */
import { labelSelectorToString, type LabelSelectorObject } from '../../../api/selectors/label-selector.js';
import { omitZero } from '../../../kube/status.js';
import type { Condition } from '../types.js';

/** Status of a VMIRS or a pool; every field is omitempty in KubeVirt's types. */
export interface ReplicaStatus {
  replicas?: number;
  readyReplicas?: number;
  labelSelector?: string;
  conditions?: Condition[];
}

/** What a sync could not do: the condition's reason and message. */
export interface SyncFailure {
  reason: string;
  message: string;
}

export interface ReplicaStatusInput {
  previous: ReplicaStatus | undefined;
  selector: LabelSelectorObject | undefined;
  replicas: number;
  readyReplicas: number;
  failure: SyncFailure | undefined;
  paused: boolean;
  /** The ReplicaPaused condition's reason and message, which differ between the two kinds. */
  pausedCondition: SyncFailure;
  now: string;
}

export interface ReplicaStatusChange {
  status: ReplicaStatus;
  /** The ReplicaPaused condition appeared (`paused`) or went (`resumed`). */
  pause?: 'paused' | 'resumed';
  /** The ReplicaFailure condition appeared with this sync. */
  failureAdded: boolean;
}

const conditionOf = (type: string, reason: string, message: string, now: string): Condition => ({
  type,
  status: 'True',
  reason,
  message,
  lastProbeTime: null,
  lastTransitionTime: now,
});

export function nextReplicaStatus(input: ReplicaStatusInput): ReplicaStatusChange {
  let conditions = [...(input.previous?.conditions ?? [])];
  const has = (type: string): boolean => conditions.some((c) => c.type === type);
  let pause: ReplicaStatusChange['pause'];
  if (input.paused && !has('ReplicaPaused')) {
    conditions.push(conditionOf('ReplicaPaused', input.pausedCondition.reason, input.pausedCondition.message, input.now));
    pause = 'paused';
  } else if (!input.paused && has('ReplicaPaused')) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaPaused');
    pause = 'resumed';
  }
  const failureAdded = input.failure !== undefined && !has('ReplicaFailure');
  if (input.failure && failureAdded) conditions.push(conditionOf('ReplicaFailure', input.failure.reason, input.failure.message, input.now));
  else if (!input.failure) conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  const status = omitZero({
    replicas: input.replicas,
    readyReplicas: input.readyReplicas,
    labelSelector: labelSelectorToString(input.selector) || undefined,
    conditions: conditions.length ? conditions : undefined,
  });
  return { status, pause, failureAdded };
}
