/**
 * The default scheduler's filter plugins as pure functions over a pod and a
 * node (with the pods already on it), in the order kube-scheduler runs them:
 * NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts,
 * NodeResourcesFit, VolumeBinding, InterPodAffinity. A node is dropped at its first failing
 * plugin; the reasons are the plugins' own wording (pkg/scheduler/framework/plugins).
 */
import { matchLabelSelector } from '../../api/selectors/label-selector.js';
import type { ContainerPort, Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodAffinityTerm, Taint, Toleration } from './objects.js';
import { nodeAggregates, requiredAntiAffinity } from './node-aggregates.js';
import { nodeAllocatable, podRequests } from './resources.js';
import { volumeFilter, type VolumeLookup } from './volume-binding.js';

/** A node with the pods bound (or assumed bound) to it that still hold resources. */
export interface NodeInfo {
  node: Node;
  pods: readonly Pod[];
}

/** Everything a filter may look at beyond the node at hand. */
export interface ClusterSnapshot {
  nodes: readonly NodeInfo[];
  /** Labels of a namespace, for affinity terms with a namespaceSelector. */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** The claims, volumes and classes the VolumeBinding filter reads (absent: pods' volumes are not checked). */
  volumes?: VolumeLookup;
}

/**
 * Why a node was rejected. `unresolvable` is UnschedulableAndUnresolvable:
 * evicting pods would not help, so preemption does not consider the node.
 */
export interface FilterFailure {
  reasons: string[];
  unresolvable: boolean;
}

export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_POD_AFFINITY = "node(s) didn't match pod affinity rules";
export const REASON_POD_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const untoleratedTaintReason = (taint: Taint): string => `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
export const insufficientReason = (resource: string): string => `Insufficient ${resource}`;

export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';

const fail = (unresolvable: boolean, ...reasons: string[]): FilterFailure => ({ reasons, unresolvable });

// --- taints and tolerations ------------------------------------------------------------------

/** v1.Toleration.ToleratesTaint: an empty effect matches all effects, an empty key with Exists matches all keys. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

export const toleratesAll = (tolerations: readonly Toleration[] | undefined, taint: Taint): boolean =>
  (tolerations ?? []).some((t) => tolerates(t, taint));

/**
 * The node's taints, plus the condition taints the node lifecycle controller
 * puts on a node that is not Ready (not-ready) or silent (unreachable), so a
 * node that has not reported Ready takes no pods even before it is tainted.
 */
export function effectiveTaints(node: Node): Taint[] {
  const taints = [...(node.spec?.taints ?? [])];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  if (ready !== 'True') {
    const key = ready === 'Unknown' ? TAINT_UNREACHABLE : TAINT_NOT_READY;
    if (!taints.some((t) => t.key === key)) taints.push({ key, effect: 'NoSchedule' });
  }
  return taints;
}

function nodeUnschedulable(pod: Pod, info: NodeInfo): FilterFailure | undefined {
  if (!info.node.spec?.unschedulable) return undefined;
  if (toleratesAll(pod.spec?.tolerations, { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' })) return undefined;
  return fail(true, REASON_UNSCHEDULABLE);
}

function taintToleration(pod: Pod, info: NodeInfo): FilterFailure | undefined {
  const untolerated = effectiveTaints(info.node).find(
    (taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !toleratesAll(pod.spec?.tolerations, taint),
  );
  return untolerated ? fail(true, untoleratedTaintReason(untolerated)) : undefined;
}

// --- node affinity and selector --------------------------------------------------------------

function requirementMatches(requirement: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0])) return false;
      const [have, bound] = [Number(value), Number(values[0])];
      return requirement.operator === 'Gt' ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

/** A term matches when all its expressions (on labels) and fields (only metadata.name exists) match; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return (
    expressions.every((r) => requirementMatches(r, labels[r.key])) &&
    fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.metadata.name))
  );
}

/** nodeSelector (every label) and required node affinity (any term). */
export function matchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  if (!Object.entries(pod.spec?.nodeSelector ?? {}).every(([key, value]) => labels[key] === value)) return false;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return terms === undefined || terms.some((term) => nodeSelectorTermMatches(term, node));
}

function nodeAffinity(pod: Pod, info: NodeInfo): FilterFailure | undefined {
  return matchesNodeSelectorAndAffinity(pod, info.node) ? undefined : fail(true, REASON_NODE_AFFINITY);
}

// --- host ports ------------------------------------------------------------------------------

const hostPorts = (pod: Pod): ContainerPort[] =>
  [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].flatMap((c) => c.ports ?? []).filter((p) => (p.hostPort ?? 0) > 0);

const ANY_IP = '0.0.0.0';

/** Two host ports clash on the same port and protocol when either binds every address or both bind the same one. */
function portsConflict(a: ContainerPort, b: ContainerPort): boolean {
  if (a.hostPort !== b.hostPort || (a.protocol ?? 'TCP') !== (b.protocol ?? 'TCP')) return false;
  const ipA = a.hostIP || ANY_IP;
  const ipB = b.hostIP || ANY_IP;
  return ipA === ANY_IP || ipB === ANY_IP || ipA === ipB;
}

function nodePorts(pod: Pod, info: NodeInfo): FilterFailure | undefined {
  const wanted = hostPorts(pod);
  if (wanted.length === 0) return undefined;
  const used = info.pods.flatMap(hostPorts);
  return wanted.some((port) => used.some((other) => portsConflict(port, other))) ? fail(false, REASON_NODE_PORTS) : undefined;
}

// --- resources -------------------------------------------------------------------------------

const FIXED_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];

function resourcesFit(pod: Pod, info: NodeInfo): FilterFailure | undefined {
  const allocatable = nodeAllocatable(info.node);
  const requested = nodeAggregates(info.pods).requested;
  const reasons: string[] = [];
  if (info.pods.length + 1 > (allocatable.get('pods') ?? 0)) reasons.push(REASON_TOO_MANY_PODS);
  const wants = podRequests(pod);
  const scalar = [...wants.keys()].filter((name) => !FIXED_RESOURCES.includes(name) && name !== 'pods').sort();
  for (const name of [...FIXED_RESOURCES, ...scalar]) {
    const amount = wants.get(name) ?? 0;
    if (amount > 0 && amount > (allocatable.get(name) ?? 0) - (requested.get(name) ?? 0)) reasons.push(insufficientReason(name));
  }
  return reasons.length ? fail(false, ...reasons) : undefined;
}

// --- volumes --------------------------------------------------------------------------------

function volumeBinding(pod: Pod, info: NodeInfo, snapshot: ClusterSnapshot): FilterFailure | undefined {
  const reason = snapshot.volumes && volumeFilter(pod, info.node, snapshot.volumes);
  return reason ? fail(true, reason) : undefined;
}

// --- inter-pod affinity ----------------------------------------------------------------------

/** Whether `term` (written in `owner`'s spec) selects `candidate`: the term's namespaces, then its label selector. */
export function affinityTermMatches(term: PodAffinityTerm, owner: Pod, candidate: Pod, snapshot: ClusterSnapshot): boolean {
  const namespace = candidate.metadata.namespace ?? '';
  const listed = term.namespaces ?? [];
  const inNamespaces =
    listed.length === 0 && !term.namespaceSelector
      ? namespace === owner.metadata.namespace
      : listed.includes(namespace) ||
        (!!term.namespaceSelector && matchLabelSelector(term.namespaceSelector, snapshot.namespaceLabels(namespace) ?? {}));
  return inNamespaces && matchLabelSelector(term.labelSelector, candidate.metadata.labels ?? {});
}

/** Both nodes carry the topology label with one value: they share a domain (a hostname, a zone). */
function sameDomain(a: Node, b: Node, topologyKey: string): boolean {
  const value = a.metadata.labels?.[topologyKey];
  return value !== undefined && b.metadata.labels?.[topologyKey] === value;
}

const requiredAffinity = (pod: Pod): PodAffinityTerm[] =>
  pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];

interface PlacedPod {
  node: Node;
  existing: Pod;
}

/**
 * What the InterPodAffinity filter reads of the whole cluster, gathered once per snapshot and pod (kube's PreFilter
 * state) instead of once per node looked at: the placed pods the pod's affinity terms select, and the placed pods
 * with required anti-affinity terms.
 */
interface AffinityState {
  pod: Pod;
  affinityMatches?: PlacedPod[];
  withRequiredAntiAffinity?: PlacedPod[];
}

const affinityStates = new WeakMap<ClusterSnapshot, AffinityState>();

function affinityState(pod: Pod, snapshot: ClusterSnapshot): AffinityState {
  let state = affinityStates.get(snapshot);
  if (state?.pod !== pod) affinityStates.set(snapshot, (state = { pod }));
  return state;
}

function affinityMatches(pod: Pod, terms: PodAffinityTerm[], snapshot: ClusterSnapshot): PlacedPod[] {
  const state = affinityState(pod, snapshot);
  state.affinityMatches ??= snapshot.nodes
    .flatMap((other) => other.pods.map((existing) => ({ node: other.node, existing })))
    .filter(({ existing }) => terms.every((term) => affinityTermMatches(term, pod, existing, snapshot)));
  return state.affinityMatches;
}

function placedWithRequiredAntiAffinity(pod: Pod, snapshot: ClusterSnapshot): PlacedPod[] {
  const state = affinityState(pod, snapshot);
  state.withRequiredAntiAffinity ??= snapshot.nodes.flatMap((other) =>
    nodeAggregates(other.pods).withRequiredAntiAffinity.map((existing) => ({ node: other.node, existing })),
  );
  return state.withRequiredAntiAffinity;
}

function satisfiesPodAffinity(pod: Pod, info: NodeInfo, snapshot: ClusterSnapshot): boolean {
  const terms = requiredAffinity(pod);
  if (terms.length === 0) return true;
  const matching = affinityMatches(pod, terms, snapshot);
  if (matching.length === 0) {
    // The first pod of a group that must run together may go anywhere its own terms could later be met.
    const selfMatch = terms.every((term) => affinityTermMatches(term, pod, pod, snapshot));
    return selfMatch && terms.every((term) => info.node.metadata.labels?.[term.topologyKey] !== undefined);
  }
  return terms.every((term) => matching.some(({ node }) => sameDomain(node, info.node, term.topologyKey)));
}

function satisfiesPodAntiAffinity(pod: Pod, info: NodeInfo, snapshot: ClusterSnapshot): boolean {
  return requiredAntiAffinity(pod).every((term) =>
    snapshot.nodes.every(
      (other) =>
        !sameDomain(other.node, info.node, term.topologyKey) ||
        !other.pods.some((existing) => affinityTermMatches(term, pod, existing, snapshot)),
    ),
  );
}

function satisfiesExistingAntiAffinity(pod: Pod, info: NodeInfo, snapshot: ClusterSnapshot): boolean {
  return placedWithRequiredAntiAffinity(pod, snapshot).every(({ node, existing }) =>
    requiredAntiAffinity(existing).every(
      (term) => !sameDomain(node, info.node, term.topologyKey) || !affinityTermMatches(term, existing, pod, snapshot),
    ),
  );
}

function interPodAffinity(pod: Pod, info: NodeInfo, snapshot: ClusterSnapshot): FilterFailure | undefined {
  if (!satisfiesPodAffinity(pod, info, snapshot)) return fail(true, REASON_POD_AFFINITY);
  if (!satisfiesPodAntiAffinity(pod, info, snapshot)) return fail(false, REASON_POD_ANTI_AFFINITY);
  if (!satisfiesExistingAntiAffinity(pod, info, snapshot)) return fail(false, REASON_EXISTING_ANTI_AFFINITY);
  return undefined;
}

// --- the chain -------------------------------------------------------------------------------

type Filter = (pod: Pod, info: NodeInfo, snapshot: ClusterSnapshot) => FilterFailure | undefined;

const filters: Filter[] = [nodeUnschedulable, taintToleration, nodeAffinity, nodePorts, resourcesFit, volumeBinding, interPodAffinity];

/** The first failing plugin's verdict on the node, or undefined when the pod fits. */
export function filterNode(pod: Pod, info: NodeInfo, snapshot: ClusterSnapshot): FilterFailure | undefined {
  for (const filter of filters) {
    const failure = filter(pod, info, snapshot);
    if (failure) return failure;
  }
  return undefined;
}

/** kube-scheduler's minFeasibleNodesToFind and minFeasibleNodesPercentageToFind (pkg/scheduler/schedule_one.go). */
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/**
 * numFeasibleNodesToFind with the default percentageOfNodesToScore (0: adaptive): every node of a small cluster, of a
 * large one 50% less 1% per 125 nodes (at least 5%), and never fewer than 100.
 */
export function numFeasibleNodesToFind(allNodes: number): number {
  if (allNodes < MIN_FEASIBLE_NODES_TO_FIND) return allNodes;
  const percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.trunc(allNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.trunc((allNodes * percentage) / 100));
}

/**
 * findNodesThatPassFilters: the snapshot's nodes from `startIndex` on, round, until numFeasibleNodesToFind of them
 * fit (with fewer than 100 nodes, all of them are looked at); the next search starts after the last node looked at
 * (kube's nextStartNodeIndex), so every node gets its turn.
 */
export function findFeasibleNodes(
  pod: Pod,
  snapshot: ClusterSnapshot,
  startIndex: number,
): { feasible: NodeInfo[]; failures: FilterFailure[]; nextStartIndex: number } {
  const { nodes } = snapshot;
  const wanted = numFeasibleNodesToFind(nodes.length);
  const feasible: NodeInfo[] = [];
  const failures: FilterFailure[] = [];
  let processed = 0;
  while (processed < nodes.length && feasible.length < wanted) {
    const info = nodes[(startIndex + processed) % nodes.length];
    processed += 1;
    const failure = filterNode(pod, info, snapshot);
    if (failure) failures.push(failure);
    else feasible.push(info);
  }
  return { feasible, failures, nextStartIndex: nodes.length > 0 ? (startIndex + processed) % nodes.length : 0 };
}
