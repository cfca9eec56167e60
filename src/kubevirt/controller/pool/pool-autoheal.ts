/**
 * VirtualMachinePool autohealing (pool.go autoHealFailingVMs, KubeVirt v1.9.0-rc.2): with `spec.autohealing`
 * set, a VM that failed to start `startUpFailureThreshold` times in a row (status.startFailure, default 3), or
 * whose printableStatus is a failure (CrashLoopBackOff, ErrorUnschedulable, DataVolumeError, ErrorPvcNotFound,
 * ErrImagePull, ImagePullBackOff) with its Ready condition False for `minFailingToStartDuration` (default 5m,
 * counted from the condition's lastProbeTime), is removed through the scale-in path and the pool creates it anew.
 * KubeVirt lists every VM of the pool's namespace here; only the pool's own VMs are considered.
 */
import { parseDuration } from '../../../runtime/duration.js';
import { findCondition } from '../conditions.js';
import type { VirtualMachine } from '../types.js';
import type { VirtualMachinePool } from './pool-vm.js';

const DEFAULT_START_UP_FAILURE_THRESHOLD = 3;
const DEFAULT_MIN_FAILING_TO_START_MS = 5 * 60_000;
const FAILING_STATUSES = [
  'CrashLoopBackOff',
  'ErrorUnschedulable',
  'DataVolumeError',
  'ErrorPvcNotFound',
  'ErrImagePull',
  'ImagePullBackOff',
];

export interface Autohealing {
  /** Go's uint32, minimum 1. */
  startUpFailureThreshold?: number;
  /** A Go duration ("5m"). */
  minFailingToStartDuration?: string;
}

/** The VMs to replace now, and when a VM failing but not yet for long enough is due (filterFailingVMsToStart). */
export function vmsToAutoheal(
  pool: VirtualMachinePool,
  vms: readonly VirtualMachine[],
  nowMs: number,
): { vms: VirtualMachine[]; dueInMs?: number } {
  const autohealing = pool.spec.autohealing;
  if (!autohealing) return { vms: [] };
  const threshold = autohealing.startUpFailureThreshold ?? DEFAULT_START_UP_FAILURE_THRESHOLD;
  const minFailingMs =
    autohealing.minFailingToStartDuration === undefined
      ? DEFAULT_MIN_FAILING_TO_START_MS
      : parseDuration(autohealing.minFailingToStartDuration);
  const failing: VirtualMachine[] = [];
  let dueInMs: number | undefined;
  for (const vm of vms) {
    if ((vm.status?.startFailure?.consecutiveFailCount ?? 0) >= threshold) {
      failing.push(vm);
      continue;
    }
    if (!FAILING_STATUSES.includes(vm.status?.printableStatus ?? '')) continue;
    const ready = findCondition(vm.status?.conditions, 'Ready');
    if (ready?.status !== 'False') continue;
    const failingForMs = nowMs - (Date.parse(ready.lastProbeTime ?? '') || 0);
    if (failingForMs >= minFailingMs) failing.push(vm);
    else dueInMs = Math.min(dueInMs ?? Infinity, minFailingMs - failingForMs);
  }
  return { vms: failing, ...(dueInMs !== undefined && { dueInMs }) };
}
