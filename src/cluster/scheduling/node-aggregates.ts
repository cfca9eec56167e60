/**
 * Sums over the pods of one node that the filters and scores read (requested
 * resources, scoring requests, pods per controller, pods with required
 * anti-affinity). The scheduler hands out the same frozen pod list for a node
 * until one of its pods changes, so each sum is computed once per change of
 * the node, not once per pod scheduled: scheduling n pods costs O(n), not O(n²);
 * a pod added to a node (bound or assumed) adds its share to the sums kept.
 */
import { controllerUid, type Pod, type PodAffinityTerm } from './objects.js';
import { podRequests, podScoringRequests, type Resources } from './resources.js';

export interface NodeAggregates {
  requested: Resources;
  /** cpu and memory as scoring counts them (containers without requests at the defaults). */
  scoring: { milliCpu: number; memory: number };
  /** How many of the node's pods each controller (by uid) owns. */
  podsByController: Map<string, number>;
  /** The node's pods that carry required pod anti-affinity terms. */
  withRequiredAntiAffinity: Pod[];
}

export const requiredAntiAffinity = (pod: Pod): PodAffinityTerm[] =>
  pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];

const emptyAggregates = (): NodeAggregates => ({
  requested: new Map(),
  scoring: { milliCpu: 0, memory: 0 },
  podsByController: new Map(),
  withRequiredAntiAffinity: [],
});

/** kube's NodeInfo.AddPod: the pod's share added to the node's sums. */
function addPod(aggregates: NodeAggregates, pod: Pod): void {
  for (const [name, amount] of podRequests(pod)) aggregates.requested.set(name, (aggregates.requested.get(name) ?? 0) + amount);
  const scoring = podScoringRequests(pod);
  aggregates.scoring.milliCpu += scoring.milliCpu;
  aggregates.scoring.memory += scoring.memory;
  const owner = controllerUid(pod);
  if (owner !== undefined) aggregates.podsByController.set(owner, (aggregates.podsByController.get(owner) ?? 0) + 1);
  if (requiredAntiAffinity(pod).length > 0) aggregates.withRequiredAntiAffinity.push(pod);
}

function computeAggregates(pods: readonly Pod[]): NodeAggregates {
  const aggregates = emptyAggregates();
  for (const pod of pods) addPod(aggregates, pod);
  return aggregates;
}

/** Only frozen lists are remembered: a list that may still change must be summed afresh. */
const cache = new WeakMap<readonly Pod[], NodeAggregates>();

export function nodeAggregates(pods: readonly Pod[]): NodeAggregates {
  if (!Object.isFrozen(pods)) return computeAggregates(pods);
  let aggregates = cache.get(pods);
  if (!aggregates) cache.set(pods, (aggregates = computeAggregates(pods)));
  return aggregates;
}

/**
 * A frozen list of `pods` and then `added`, whose sums are those of `pods` plus the added pods' shares: a node that
 * gains a pod (bound, or assumed by the scheduler) costs the new pods, not a new sum over all of its pods.
 */
export function withAddedPods(pods: readonly Pod[], added: readonly Pod[]): readonly Pod[] {
  const base = nodeAggregates(pods);
  const aggregates: NodeAggregates = {
    requested: new Map(base.requested),
    scoring: { ...base.scoring },
    podsByController: new Map(base.podsByController),
    withRequiredAntiAffinity: [...base.withRequiredAntiAffinity],
  };
  for (const pod of added) addPod(aggregates, pod);
  const list = Object.freeze([...pods, ...added]);
  cache.set(list, aggregates);
  return list;
}
