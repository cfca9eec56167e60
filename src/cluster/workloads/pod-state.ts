/**
 * The questions controllers ask about a pod's lifecycle (pkg/api/v1/pod and
 * pkg/controller's helpers): is it still counted, is it ready, has it been
 * ready for minReadySeconds.
 */
import type { Condition, Pod } from './objects.js';

export const isTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** Counted by its controller: neither finished nor being deleted. */
export const isPodActive = (pod: Pod): boolean => !isTerminal(pod) && !pod.metadata.deletionTimestamp;

export const podReadyCondition = (pod: Pod): Condition | undefined => pod.status?.conditions?.find((c) => c.type === 'Ready');

export const isPodReady = (pod: Pod): boolean => podReadyCondition(pod)?.status === 'True';

/** Ready for at least minReadySeconds (a pod with no transition time counts as just ready). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(podReadyCondition(pod)?.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= nowMs;
}

/** Milliseconds until a ready pod turns available; undefined if it is not ready or already available. */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  if (!isPodReady(pod) || minReadySeconds <= 0) return undefined;
  const since = Date.parse(podReadyCondition(pod)?.lastTransitionTime ?? '');
  if (!Number.isFinite(since)) return undefined;
  const wait = since + minReadySeconds * 1000 - nowMs;
  return wait > 0 ? wait : undefined;
}

/**
 * Which pods to delete first when scaling down, after controller.ActivePods'
 * ordering: unscheduled before scheduled, pending before unknown before
 * running, not ready before ready, recently ready before long ready, more
 * restarts first, newer before older.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const scheduled = (p: Pod) => (p.spec?.nodeName ? 1 : 0);
  const phaseRank = (p: Pod) => ({ Pending: 0, Unknown: 1, Running: 2 })[p.status?.phase ?? 'Pending'] ?? 0;
  const ready = (p: Pod) => (isPodReady(p) ? 1 : 0);
  const readySince = (p: Pod) => Date.parse(podReadyCondition(p)?.lastTransitionTime ?? '') || 0;
  const restarts = (p: Pod) =>
    ((p.status?.containerStatuses as Array<{ restartCount?: number }> | undefined) ?? []).reduce(
      (sum, c) => sum + (c.restartCount ?? 0),
      0,
    );
  const created = (p: Pod) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  return (
    scheduled(a) - scheduled(b) ||
    phaseRank(a) - phaseRank(b) ||
    ready(a) - ready(b) ||
    (ready(a) && ready(b) ? readySince(b) - readySince(a) : 0) ||
    restarts(b) - restarts(a) ||
    created(b) - created(a)
  );
}
