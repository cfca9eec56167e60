/**
 * Choosing among the nodes that passed the filters. NodeResourcesFit's
 * LeastAllocated score first (the emptiest node wins, so replicas spread),
 * then the fewest pods of the same controller on the node (the spreading
 * PodTopologySpread's system defaults give), then a caller-supplied tie-break.
 */
import type { NodeInfo } from './filters.js';
import { controllerUid, type Pod } from './objects.js';
import { nodeAggregates } from './node-aggregates.js';
import { nodeAllocatable, podScoringRequests } from './resources.js';

const MAX_NODE_SCORE = 100;

/** (allocatable - requested) * 100 / allocatable, for cpu and memory, averaged; integer arithmetic as in kube-scheduler. */
export function leastAllocatedScore(pod: Pod, info: NodeInfo): number {
  const allocatable = nodeAllocatable(info.node);
  const placed = nodeAggregates(info.pods).scoring;
  const milliCpu = podScoringRequests(pod).milliCpu + placed.milliCpu;
  const memory = podScoringRequests(pod).memory + placed.memory;
  const score = (capacity: number, requested: number): number =>
    capacity === 0 || requested > capacity ? 0 : Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
  return Math.floor((score(allocatable.get('cpu') ?? 0, milliCpu) + score(allocatable.get('memory') ?? 0, memory)) / 2);
}

export function sameOwnerPods(pod: Pod, info: NodeInfo): number {
  const owner = controllerUid(pod);
  return owner === undefined ? 0 : (nodeAggregates(info.pods).podsByController.get(owner) ?? 0);
}

/**
 * The node to bind to among `feasible` (not empty). `pickTie(n)` chooses an
 * index below n among equally good nodes, which are ordered by name: the
 * scheduler passes its seeded random, tests pass a fixed choice.
 */
export function selectNode(pod: Pod, feasible: readonly NodeInfo[], pickTie: (count: number) => number): string {
  const ranked = feasible
    .map((info) => ({ name: info.node.metadata.name ?? '', score: leastAllocatedScore(pod, info), siblings: sameOwnerPods(pod, info) }))
    .sort((a, b) => b.score - a.score || a.siblings - b.siblings || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const best = ranked.filter((r) => r.score === ranked[0].score && r.siblings === ranked[0].siblings);
  return best[Math.min(best.length - 1, Math.max(0, pickTie(best.length)))].name;
}
