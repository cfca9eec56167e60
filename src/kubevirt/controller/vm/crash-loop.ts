/**
 * Start-failure back-off of the VM controller (vm.go calculateStartBackoffTime,
 * syncStartFailureStatus): a VMI that ended before ever Running counts as a
 * failed start; the n-th consecutive one delays the next start by
 * interval·n² plus up to half of that at random, at most five minutes.
 */
import type { StartFailure, VirtualMachineInstance } from '../types.js';
import { isFinal } from '../types.js';

export const MAX_CRASH_LOOP_DELAY_SECONDS = 300;
const MIN_INTERVAL_SECONDS = 10;

/** Seconds to wait after the `failCount`-th failure; `random` in [0, 1) picks the jitter (Go's rand.Intn(delay/2+1)). */
export function startBackoffSeconds(failCount: number, random: number, maxDelay = MAX_CRASH_LOOP_DELAY_SECONDS): number {
  const count = Math.max(failCount, 1);
  const interval = Math.max(Math.floor(maxDelay / 30), MIN_INTERVAL_SECONDS);
  const base = interval * count * count;
  const jitter = Math.floor(random * (Math.floor(base / 2) + 1));
  return Math.min(base + jitter, maxDelay);
}

export const wasRunning = (vmi: VirtualMachineInstance | undefined): boolean =>
  (vmi?.status?.phaseTransitionTimestamps ?? []).some((t) => t.phase === 'Running');

/** Final without ever having run. */
export const failedEarly = (vmi: VirtualMachineInstance | undefined): boolean => vmi !== undefined && isFinal(vmi) && !wasRunning(vmi);

/** The VM's startFailure after seeing `vmi`: cleared once a VMI ran or the strategy does not restart, counted once per failed VMI. */
export function nextStartFailure(
  current: StartFailure | undefined,
  runStrategy: string,
  vmi: VirtualMachineInstance | undefined,
  nowMs: number,
  random: number,
): StartFailure | undefined {
  if (wasRunning(vmi) || !['Always', 'RerunOnFailure', 'Once'].includes(runStrategy)) return undefined;
  if (!vmi || !failedEarly(vmi)) return current;
  if (current && current.lastFailedVMIUID === vmi.metadata.uid) return current;
  const count = (current?.consecutiveFailCount ?? 0) + 1;
  const retryAfter = new Date(nowMs + startBackoffSeconds(count, random) * 1000);
  return {
    consecutiveFailCount: count,
    lastFailedVMIUID: vmi.metadata.uid,
    retryAfterTimestamp: `${retryAfter.toISOString().slice(0, 19)}Z`,
  };
}

/** Milliseconds until the next start is allowed (0 when it is). */
export function backoffRemainingMs(startFailure: StartFailure | undefined, nowMs: number): number {
  if (!startFailure?.retryAfterTimestamp) return 0;
  return Math.max(0, Date.parse(startFailure.retryAfterTimestamp) - nowMs);
}
