/**
 * The DaemonSet controller (pkg/controller/daemon): one pod per eligible
 * node, pinned to it by a required node affinity on metadata.name (the
 * scheduler binds it), with the daemon tolerations added; a
 * ControllerRevision per template whose hash labels the pods; rolling
 * updates within maxUnavailable; and the scheduled/ready/available counts.
 */
import { isDeepStrictEqual } from 'node:util';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { scaledValue } from './deployment-util.js';
import { Expectations } from '../../runtime/expectations.js';
import { podFitsNode } from './node-fit.js';
import { DAEMON_SET, NODE, POD, type DaemonSet, type Node, type Pod, type PodSpec, type Toleration } from './objects.js';
import { claimChildren, controllerKeyOf, deleteIfPresent } from '../../kube/owners.js';
import { isPodAvailable, isPodReady, isTerminal, msUntilAvailable } from './pod-state.js';
import { observePods, podFromTemplate } from './replicaset-controller.js';
import { syncRevision } from './revisions.js';
import { omitZero, writeStatus } from '../../kube/status.js';

export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

/** Conditions a daemon pod rides out (AddOrUpdateDaemonPodTolerations). */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
const HOST_NETWORK_TOLERATION: Toleration = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' };

interface Deps {
  daemonSets: Informer<DaemonSet>;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  expectations: Expectations;
  events: EventRecorder;
}

export function daemonSetController(ctx: ComponentContext): Controller {
  const deps: Deps = {
    daemonSets: ctx.informers.informerFor<DaemonSet>(DAEMON_SET),
    pods: ctx.informers.informerFor<Pod>(POD),
    nodes: ctx.informers.informerFor<Node>(NODE),
    expectations: new Expectations(ctx.clock),
    events: new EventRecorder(ctx.client, ctx.clock, { component: 'daemonset-controller' }, ctx.logger),
  };
  observePods(deps.pods, deps.expectations, 'DaemonSet');
  const controller = new Controller({
    name: 'daemonset-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    workers: 2,
    reconcile: (key) => syncDaemonSet(ctx, deps, key),
  });
  return controller
    .watch(deps.daemonSets)
    .watch(deps.pods, (pod) => {
      const owner = controllerKeyOf(pod, 'DaemonSet');
      return owner ? [owner] : [];
    })
    .watchChanges(deps.nodes, (old, cur) => daemonSetsAffectedBy(deps.daemonSets, old, cur));
}

/**
 * The DaemonSets a node change concerns, as kube's addNode/updateNode pick
 * them: a new node concerns those that should run on it; a changed node only
 * those whose should-run answer changed, and none unless its labels or
 * taints changed (status and heartbeats never move a daemon). A deleted node
 * concerns those that ran there, so their desired counts follow.
 */
function daemonSetsAffectedBy(daemonSets: Informer<DaemonSet>, old: Node | undefined, cur: Node | undefined): string[] {
  if (old && cur && isDeepStrictEqual(old.metadata.labels, cur.metadata.labels) && isDeepStrictEqual(old.spec?.taints, cur.spec?.taints))
    return [];
  const shouldRun = (ds: DaemonSet, node: Node | undefined): boolean =>
    node !== undefined && podFitsNode(ds.spec.template.spec ?? {}, node);
  return daemonSets
    .list()
    .filter((ds) => shouldRun(ds, old) !== shouldRun(ds, cur))
    .map(objectKey);
}

/** The daemon pod spec for one node: the template plus the tolerations and the node pinning. */
function daemonPodSpec(template: PodSpec, nodeName: string): PodSpec {
  const tolerations = [...(template.tolerations ?? [])];
  const extra = template.hostNetwork ? [...DAEMON_TOLERATIONS, HOST_NETWORK_TOLERATION] : DAEMON_TOLERATIONS;
  for (const toleration of extra)
    if (!tolerations.some((t) => t.key === toleration.key && t.effect === toleration.effect)) tolerations.push(toleration);
  const nodeAffinity = {
    ...template.affinity?.nodeAffinity,
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
    },
  };
  return { ...structuredClone(template), tolerations, affinity: { ...template.affinity, nodeAffinity } };
}

/** The node a daemon pod is for: where it is bound, or where its affinity pins it. */
function targetNode(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms.flatMap((term) => term.matchFields ?? []).find((f) => f.key === 'metadata.name' && f.operator === 'In')?.values?.[0];
}

async function syncDaemonSet(ctx: ComponentContext, deps: Deps, key: string): Promise<ReconcileResult> {
  const ds = deps.daemonSets.get(key);
  if (!ds) {
    deps.expectations.forget(key);
    return;
  }
  const hash = await syncRevision(ctx.client, ds);
  const owned = await claimChildren(ctx.client, ds, ds.spec.selector, deps.pods.listByNamespace(ds.metadata.namespace ?? ''));
  const byNode = new Map<string, Pod[]>();
  for (const pod of owned) {
    const node = targetNode(pod);
    if (node && !pod.metadata.deletionTimestamp) byNode.set(node, [...(byNode.get(node) ?? []), pod]);
  }
  const nodes = deps.nodes.list();
  const eligible = nodes.filter((node) => podFitsNode(ds.spec.template.spec ?? {}, node));
  const eligibleNames = new Set(eligible.map((n) => n.metadata.name ?? ''));

  if (!ds.metadata.deletionTimestamp && deps.expectations.satisfied(key)) {
    const toCreate: string[] = [];
    const toDelete: Pod[] = [];
    for (const node of eligible) {
      const name = node.metadata.name ?? '';
      const pods = byNode.get(name) ?? [];
      // A failed daemon pod is replaced; duplicates beyond the first go.
      const failed = pods.filter((pod) => pod.status?.phase === 'Failed');
      toDelete.push(...failed);
      const live = pods.filter((pod) => !isTerminal(pod));
      if (live.length === 0 && failed.length === 0) toCreate.push(name);
      toDelete.push(...live.slice(1));
    }
    for (const [node, pods] of byNode) if (!eligibleNames.has(node)) toDelete.push(...pods);
    toDelete.push(...rollingUpdateVictims(ds, hash, eligible, byNode, ctx.clock.nowMs()).filter((pod) => !toDelete.includes(pod)));
    await manageDaemonPods(ctx, deps, ds, key, hash, toCreate, toDelete);
  }
  await writeStatus(ctx.client, ds, daemonSetStatus(ds, hash, eligible, byNode, eligibleNames, ctx.clock.nowMs()));
  const minReady = ds.spec.minReadySeconds ?? 0;
  const waits = owned.map((pod) => msUntilAvailable(pod, minReady, ctx.clock.nowMs())).filter((ms): ms is number => ms !== undefined);
  return waits.length ? { requeueAfterMs: Math.min(...waits) } : undefined;
}

/** RollingUpdate: old-revision pods go, unavailable ones first, as long as no more than maxUnavailable nodes lack an available pod. */
function rollingUpdateVictims(ds: DaemonSet, hash: string, eligible: Node[], byNode: Map<string, Pod[]>, nowMs: number): Pod[] {
  if (ds.spec.updateStrategy?.type === 'OnDelete') return [];
  const minReady = ds.spec.minReadySeconds ?? 0;
  const maxUnavailable = Math.max(scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, eligible.length, false), 1);
  let unavailable = 0;
  const oldAvailable: Pod[] = [];
  const victims: Pod[] = [];
  for (const node of eligible) {
    const pods = (byNode.get(node.metadata.name ?? '') ?? []).filter((pod) => !isTerminal(pod));
    const available = pods.some((pod) => isPodAvailable(pod, minReady, nowMs));
    if (!available) unavailable++;
    for (const pod of pods) {
      if (pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) continue;
      if (isPodAvailable(pod, minReady, nowMs)) oldAvailable.push(pod);
      else victims.push(pod);
    }
  }
  return [...victims, ...oldAvailable.slice(0, Math.max(0, maxUnavailable - unavailable))];
}

async function manageDaemonPods(
  ctx: ComponentContext,
  deps: Deps,
  ds: DaemonSet,
  key: string,
  hash: string,
  nodes: string[],
  victims: Pod[],
): Promise<void> {
  deps.expectations.expectCreations(key, nodes.length);
  deps.expectations.expectDeletions(key, victims.map(objectKey));
  for (const [i, node] of nodes.entries()) {
    const pod = podFromTemplate(ds);
    pod.metadata.labels = {
      ...pod.metadata.labels,
      [CONTROLLER_REVISION_HASH_LABEL]: hash,
      'pod-template-generation': String(ds.metadata.generation ?? 1),
    };
    pod.spec = daemonPodSpec(ds.spec.template.spec ?? {}, node);
    try {
      const created = await ctx.client.create<Pod>(pod);
      void deps.events.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (err) {
      for (let j = i; j < nodes.length; j++) deps.expectations.creationObserved(key);
      void deps.events.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }
  for (const pod of victims) {
    await deleteIfPresent(ctx.client, pod);
    void deps.events.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
  }
}

function daemonSetStatus(
  ds: DaemonSet,
  hash: string,
  eligible: Node[],
  byNode: Map<string, Pod[]>,
  eligibleNames: Set<string>,
  nowMs: number,
): Record<string, unknown> {
  const minReady = ds.spec.minReadySeconds ?? 0;
  let current = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const node of eligible) {
    const pods = (byNode.get(node.metadata.name ?? '') ?? []).filter((pod) => !isTerminal(pod));
    if (pods.length === 0) continue;
    current++;
    if (pods.some(isPodReady)) ready++;
    if (pods.some((pod) => isPodAvailable(pod, minReady, nowMs))) available++;
    if (pods.some((pod) => pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash)) updated++;
  }
  const misscheduled = [...byNode.keys()].filter((node) => !eligibleNames.has(node)).length;
  const desired = eligible.length;
  // The four scheduling counts are always present, as they are not omitempty in the API.
  return {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    ...omitZero({
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: desired - available,
    }),
  };
}
