/**
 * Whether a pod template may run on a node, as the DaemonSet controller
 * decides it (NodeShouldRunDaemonPod): nodeSelector, required node affinity,
 * and NoSchedule/NoExecute taints against the tolerations. The predicates are
 * the scheduler's own, so both components agree on where a pod fits.
 */
import { matchesNodeSelectorAndAffinity, toleratesAll } from '../scheduling/filters.js';
import type { Node as SchedulingNode, Pod as SchedulingPod } from '../scheduling/objects.js';
import type { Node, PodSpec } from './objects.js';

export function podFitsNode(spec: PodSpec, node: Node): boolean {
  // The two folders type the same Kubernetes JSON separately; the shapes agree on every field read here.
  const pod = { spec } as unknown as SchedulingPod;
  const schedulingNode = node as unknown as SchedulingNode;
  if (!matchesNodeSelectorAndAffinity(pod, schedulingNode)) return false;
  const blocking = (schedulingNode.spec?.taints ?? []).filter((taint) => taint.effect === 'NoSchedule' || taint.effect === 'NoExecute');
  return blocking.every((taint) => toleratesAll(pod.spec?.tolerations, taint));
}
