/**
 * The disruption controller of kube-controller-manager: keeps each
 * PodDisruptionBudget's status current (expectedPods, desiredHealthy,
 * currentHealthy, disruptionsAllowed, the DisruptionAllowed condition) and
 * forgets evictions in status.disruptedPods once the pod is gone or the
 * eviction has not happened within two minutes.
 */
import { matchLabelSelector } from '../../api/selectors/label-selector.js';
import type { KubeObject } from '../../api/types.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { isPodReady, type PdbCondition, type PdbStatus, type Pod, type PodDisruptionBudget } from './objects.js';

/** An eviction not followed by the pod's deletion within this time is assumed to have failed (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/**
 * The controllers whose replica count sets expectedPods for percentage and maxUnavailable budgets: the desired
 * replicas of the pod's top controller (a Deployment over its ReplicaSet), keyed by its uid; undefined if unknown.
 */
export type ScaleLookup = (pod: Pod) => { uid: string; replicas: number } | undefined;

/** pdbhelper.UpdateDisruptionAllowedCondition: True/SufficientPods while disruptions are allowed, else False/InsufficientPods. */
export function disruptionAllowedCondition(
  conditions: readonly PdbCondition[] | undefined,
  disruptionsAllowed: number,
  observedGeneration: number | undefined,
  now: string,
): PdbCondition {
  const status = disruptionsAllowed > 0 ? 'True' : 'False';
  const existing = conditions?.find((c) => c.type === 'DisruptionAllowed');
  const condition: PdbCondition = {
    type: 'DisruptionAllowed',
    status,
    reason: disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods',
    message: '',
    lastTransitionTime: existing?.status === status ? existing.lastTransitionTime : now,
  };
  if (observedGeneration !== undefined) condition.observedGeneration = observedGeneration;
  return condition;
}

/** An int-or-percent against a total: "25%" of 10 is 3 (rounded up, as GetScaledValueFromIntOrPercent with roundUp). */
export function scaledValue(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)%$/.exec(value);
  if (!match) return Number(value) || 0;
  return Math.ceil((Number(match[1]) * total) / 100);
}

/** expectedPods and desiredHealthy for the budget (getExpectedPodCount). */
function expectations(pdb: PodDisruptionBudget, pods: readonly Pod[], scaleOf: ScaleLookup): { expected: number; desired: number } {
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  const controllersScale = (): number => {
    const replicasByController = new Map<string, number>();
    for (const pod of pods) {
      const scale = scaleOf(pod);
      if (scale) replicasByController.set(scale.uid, scale.replicas);
    }
    return [...replicasByController.values()].reduce((sum, n) => sum + n, 0);
  };
  if (maxUnavailable !== undefined) {
    const expected = controllersScale();
    return { expected, desired: Math.max(0, expected - scaledValue(maxUnavailable, expected)) };
  }
  if (typeof minAvailable === 'number') return { expected: pods.length, desired: minAvailable };
  if (typeof minAvailable === 'string') {
    const expected = controllersScale();
    return { expected, desired: scaledValue(minAvailable, expected) };
  }
  return { expected: pods.length, desired: 0 };
}

/**
 * The budget's status over the pods its selector picks (terminating ones
 * excluded), given the time now. Returns the status and, when a recorded
 * eviction is still pending, how long until it expires.
 */
export function computePdbStatus(
  pdb: PodDisruptionBudget,
  namespacePods: readonly Pod[],
  scaleOf: ScaleLookup,
  nowMs: number,
): { status: PdbStatus; recheckAfterMs?: number } {
  const pods = namespacePods.filter((pod) => matchLabelSelector(pdb.spec?.selector, pod.metadata.labels ?? {}));
  const byName = new Map(pods.map((pod) => [pod.metadata.name ?? '', pod]));
  const disruptedPods: Record<string, string> = {};
  let recheckAfterMs: number | undefined;
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue;
    const expiresInMs = Date.parse(at) + DELETION_TIMEOUT_MS - nowMs;
    if (expiresInMs <= 0) continue;
    disruptedPods[name] = at;
    recheckAfterMs = Math.min(recheckAfterMs ?? Infinity, expiresInMs);
  }
  const currentHealthy = pods.filter(
    (pod) => !pod.metadata.deletionTimestamp && isPodReady(pod) && !(pod.metadata.name! in disruptedPods),
  ).length;
  const { expected, desired } = expectations(pdb, pods, scaleOf);
  const disruptionsAllowed = expected > 0 ? Math.max(0, currentHealthy - desired) : 0;
  const observedGeneration = pdb.metadata.generation;
  const status: PdbStatus = {
    observedGeneration,
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy: desired,
    expectedPods: expected,
    conditions: [disruptionAllowedCondition(pdb.status?.conditions, disruptionsAllowed, observedGeneration, rfc3339(new Date(nowMs)))],
  };
  if (Object.keys(disruptedPods).length) status.disruptedPods = disruptedPods;
  return { status, recheckAfterMs };
}

export interface DisruptionInformers {
  pdbs: Informer<PodDisruptionBudget>;
  pods: Informer<Pod>;
  replicaSets: Informer;
  deployments: Informer;
  statefulSets: Informer;
  replicationControllers: Informer;
}

const replicasOf = (obj: KubeObject): number => (obj.spec as { replicas?: number } | undefined)?.replicas ?? 1;

export function disruptionController(ctx: ComponentContext, informers: DisruptionInformers): Component {
  const controllerOf = (obj: KubeObject) => obj.metadata.ownerReferences?.find((ref) => ref.controller);

  /** The pod's ReplicaSet (or the Deployment above it), StatefulSet or ReplicationController, with its desired replicas (finders of the real controller). */
  const scaleOf: ScaleLookup = (pod) => {
    const owner = controllerOf(pod);
    const namespace = pod.metadata.namespace;
    if (!owner) return undefined;
    const direct: Record<string, Informer> = {
      StatefulSet: informers.statefulSets,
      ReplicationController: informers.replicationControllers,
    };
    if (owner.kind === 'ReplicaSet') {
      const rs = informers.replicaSets.getByName(namespace, owner.name);
      if (!rs || rs.metadata.uid !== owner.uid) return undefined;
      const deploymentRef = controllerOf(rs);
      const deployment = deploymentRef?.kind === 'Deployment' ? informers.deployments.getByName(namespace, deploymentRef.name) : undefined;
      const top = deployment && deployment.metadata.uid === deploymentRef?.uid ? deployment : rs;
      return { uid: top.metadata.uid ?? '', replicas: replicasOf(top) };
    }
    const found = direct[owner.kind]?.getByName(namespace, owner.name);
    return found && found.metadata.uid === owner.uid ? { uid: owner.uid, replicas: replicasOf(found) } : undefined;
  };

  const budgetsSelecting = (pod: Pod): string[] =>
    informers.pdbs
      .listByNamespace(pod.metadata.namespace ?? '')
      .filter((pdb) => matchLabelSelector(pdb.spec?.selector, pod.metadata.labels ?? {}))
      .map(objectKey);
  const budgetsInNamespace = (obj: KubeObject): string[] => informers.pdbs.listByNamespace(obj.metadata.namespace ?? '').map(objectKey);

  const reconcile = async (key: string): Promise<ReconcileResult> => {
    const pdb = informers.pdbs.get(key);
    if (!pdb) return;
    const { status, recheckAfterMs } = computePdbStatus(
      pdb,
      informers.pods.listByNamespace(pdb.metadata.namespace ?? ''),
      scaleOf,
      ctx.clock.nowMs(),
    );
    if (JSON.stringify(status) !== JSON.stringify(pdb.status)) {
      await ctx.client.update<PodDisruptionBudget>({ ...pdb, status }, { subresource: 'status' });
    }
    return recheckAfterMs === undefined ? undefined : { requeueAfterMs: recheckAfterMs };
  };

  return new Controller({ name: 'disruption-controller', clock: ctx.clock, logger: ctx.logger, reconcile })
    .watch(informers.pdbs)
    .watch(informers.pods, budgetsSelecting)
    .watch(informers.replicaSets, budgetsInNamespace)
    .watch(informers.deployments, budgetsInNamespace)
    .watch(informers.statefulSets, budgetsInNamespace)
    .watch(informers.replicationControllers, budgetsInNamespace);
}
