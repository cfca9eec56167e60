/**
 * The text kube-scheduler puts in a FailedScheduling event and the
 * PodScheduled=False condition (framework.FitError.Error()): a histogram of
 * the filter reasons over all nodes, then what preemption concluded.
 */
import type { FilterFailure } from './filters.js';

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
/** Preemption could help only by evicting lower-priority pods; the emulator's pods never outrank each other, so none is found. */
const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';

/** "<count> <reason>" for every distinct reason, sorted as strings (sortReasonsHistogram). */
function histogram(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts]
    .map(([reason, count]) => `${count} ${reason}`)
    .sort()
    .join(', ');
}

/** The message for a pod a PreFilter plugin rejected on all `nodeCount` nodes (rejections there are unresolvable). */
export function preFilterMessage(nodeCount: number, message: string): string {
  if (nodeCount === 0) return NO_NODES_AVAILABLE;
  const preemption = `0/${nodeCount} nodes are available: ${nodeCount} ${PREEMPTION_NOT_HELPFUL}`;
  return `0/${nodeCount} nodes are available: ${message}. preemption: ${preemption}.`;
}

/** The message for a pod no node accepted; `failures` holds one entry per node of the cluster. */
export function unschedulableMessage(failures: readonly FilterFailure[]): string {
  if (failures.length === 0) return NO_NODES_AVAILABLE;
  const total = failures.length;
  const filterMsg = histogram(failures.flatMap((f) => f.reasons));
  const preemptionMsg = histogram(failures.map((f) => (f.unresolvable ? PREEMPTION_NOT_HELPFUL : NO_PREEMPTION_VICTIMS)));
  return `0/${total} nodes are available: ${filterMsg}. preemption: 0/${total} nodes are available: ${preemptionMsg}.`;
}
