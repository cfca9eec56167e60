/**
 * The ReplicaSet controller (pkg/controller/replicaset): keeps
 * spec.replicas pods matching the template, created through generateName
 * `<rs>-` with a controller reference, deletes the least valuable pods first
 * when scaling down, and reports replicas, fullyLabeledReplicas,
 * readyReplicas and availableReplicas (minReadySeconds) in status.
 */
import { matchLabelSelector } from '../../api/selectors/label-selector.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { findCondition, removeCondition, setCondition } from './conditions.js';
import { Expectations } from '../../runtime/expectations.js';
import { POD, REPLICA_SET, type Pod, type PodTemplateSpec, type ReplicaSet, type ReplicaSetStatus } from './objects.js';
import type { KubeObject } from '../../api/types.js';
import { claimChildren, controllerKeyOf, deleteIfPresent, newControllerRef, controllerRefOf } from '../../kube/owners.js';
import { compareForDeletion, isPodActive, isPodAvailable, isPodReady, msUntilAvailable } from './pod-state.js';
import { rfc3339 } from '../../runtime/clock.js';
import { omitZero, writeStatus } from '../../kube/status.js';

const CONTROLLER_UID_INDEX = 'replicaset-controller/controller-uid';

/** Kubernetes creates at most this many pods per sync (burstReplicas). */
const BURST_REPLICAS = 500;

export function replicaSetController(ctx: ComponentContext): Controller {
  const replicaSets = ctx.informers.informerFor<ReplicaSet>(REPLICA_SET);
  const pods = ctx.informers.informerFor<Pod>(POD);
  // Candidates of a ReplicaSet are its own pods and the orphans (uid ""): an index keeps a sync O(its pods).
  pods.addIndexer(CONTROLLER_UID_INDEX, (pod) => [controllerRefOf(pod)?.uid ?? '']);
  const expectations = new Expectations(ctx.clock);
  const events = new EventRecorder(ctx.client, ctx.clock, { component: 'replicaset-controller' }, ctx.logger);
  observePods(pods, expectations);
  const controller = new Controller({
    name: 'replicaset-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    workers: 2,
    reconcile: (key) => syncReplicaSet(ctx, { replicaSets, pods, expectations, events }, key),
  });
  return controller.watch(replicaSets).watch(pods, (pod) => ownersToSync(pod, replicaSets));
}

/** The controlling ReplicaSet, or for an orphan every ReplicaSet whose selector it matches (it may be adopted). */
function ownersToSync(pod: Pod, replicaSets: Informer<ReplicaSet>): string[] {
  const owner = controllerKeyOf(pod, 'ReplicaSet');
  if (owner) return [owner];
  if (pod.metadata.ownerReferences?.some((ref) => ref.controller)) return [];
  return replicaSets
    .listByNamespace(pod.metadata.namespace ?? '')
    .filter((rs) => matchLabelSelector(rs.spec.selector, pod.metadata.labels))
    .map(objectKey);
}

/** Lowers expectations as the informer sees the pods the controller created and deleted. */
export function observePods(pods: Informer<Pod>, expectations: Expectations, ownerKind = 'ReplicaSet'): void {
  const deleted = (pod: Pod): void => {
    const owner = controllerKeyOf(pod, ownerKind);
    if (owner) expectations.deletionObserved(owner, objectKey(pod));
  };
  pods.addEventHandler({
    onAdd: (pod) => {
      const owner = controllerKeyOf(pod, ownerKind);
      if (!owner) return;
      if (pod.metadata.deletionTimestamp) deleted(pod);
      else expectations.creationObserved(owner);
    },
    onUpdate: (_old, pod) => {
      if (pod.metadata.deletionTimestamp) deleted(pod);
    },
    onDelete: deleted,
  });
}

interface Deps {
  replicaSets: Informer<ReplicaSet>;
  pods: Informer<Pod>;
  expectations: Expectations;
  events: EventRecorder;
}

async function syncReplicaSet(ctx: ComponentContext, deps: Deps, key: string): Promise<ReconcileResult> {
  const rs = deps.replicaSets.get(key);
  if (!rs) {
    deps.expectations.forget(key);
    return;
  }
  const orphans = deps.pods.byIndex(CONTROLLER_UID_INDEX, '').filter((pod) => pod.metadata.namespace === rs.metadata.namespace);
  const candidates = [...deps.pods.byIndex(CONTROLLER_UID_INDEX, rs.metadata.uid ?? ''), ...orphans].filter((pod) => !isTerminalPhase(pod));
  const owned = await claimChildren(ctx.client, rs, rs.spec.selector, candidates);
  const active = owned.filter(isPodActive);
  let failure: string | undefined;
  if (deps.expectations.satisfied(key) && !rs.metadata.deletionTimestamp) failure = await manageReplicas(ctx, deps, rs, key, active);
  const nowMs = ctx.clock.nowMs();
  await writeStatus(ctx.client, rs, replicaSetStatus(rs, active, failure, nowMs, rfc3339(ctx.clock.now())));
  const minReady = rs.spec.minReadySeconds ?? 0;
  const waits = active.map((pod) => msUntilAvailable(pod, minReady, nowMs)).filter((ms): ms is number => ms !== undefined);
  return waits.length ? { requeueAfterMs: Math.min(...waits) } : undefined;
}

const isTerminalPhase = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** Creates or deletes pods toward spec.replicas; answers the creation error, if any. */
async function manageReplicas(ctx: ComponentContext, deps: Deps, rs: ReplicaSet, key: string, active: Pod[]): Promise<string | undefined> {
  const diff = active.length - (rs.spec.replicas ?? 1);
  if (diff < 0) {
    const count = Math.min(-diff, BURST_REPLICAS);
    deps.expectations.expectCreations(key, count);
    for (let i = 0; i < count; i++) {
      try {
        const pod = await ctx.client.create<Pod>(podFromTemplate(rs));
        void deps.events.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
      } catch (err) {
        // The pods not created will not be observed: stop waiting for them.
        for (let j = i; j < count; j++) deps.expectations.creationObserved(key);
        const message = (err as Error).message;
        void deps.events.event(rs, 'Warning', 'FailedCreate', `Error creating: ${message}`);
        return message;
      }
    }
  } else if (diff > 0) {
    const victims = [...active].sort(compareForDeletion).slice(0, diff);
    deps.expectations.expectDeletions(key, victims.map(objectKey));
    for (const pod of victims) {
      try {
        await deleteIfPresent(ctx.client, pod);
        void deps.events.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (err) {
        deps.expectations.deletionObserved(key, objectKey(pod));
        void deps.events.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
        throw err;
      }
    }
  }
  return undefined;
}

/** Any controller that stamps pods out of a template. */
export type TemplateOwner = KubeObject & { spec: { template: PodTemplateSpec } };

/** A pod as the template describes it, owned by `owner` (also used by other pod-creating controllers). */
export function podFromTemplate(owner: TemplateOwner, extra: { name?: string; generateName?: string } = {}): Pod {
  const template = owner.spec.template;
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(extra.name ? { name: extra.name } : { generateName: extra.generateName ?? `${owner.metadata.name}-` }),
      namespace: owner.metadata.namespace,
      labels: meta.labels ? { ...meta.labels } : undefined,
      annotations: meta.annotations ? { ...meta.annotations } : undefined,
      finalizers: meta.finalizers ? [...meta.finalizers] : undefined,
      ownerReferences: [newControllerRef(owner)],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

function replicaSetStatus(rs: ReplicaSet, active: Pod[], failure: string | undefined, nowMs: number, now: string): ReplicaSetStatus {
  // Frozen, so the selector compiles once for this status rather than once per pod.
  const templateSelector = Object.freeze({ matchLabels: rs.spec.template.metadata?.labels ?? {} });
  const minReady = rs.spec.minReadySeconds ?? 0;
  let conditions = rs.status?.conditions;
  if (failure) {
    const current = findCondition(conditions, 'ReplicaFailure');
    conditions = setCondition(conditions, {
      type: 'ReplicaFailure',
      status: 'True',
      reason: 'FailedCreate',
      message: failure,
      lastTransitionTime: current?.lastTransitionTime ?? now,
    });
  } else if (findCondition(conditions, 'ReplicaFailure')) {
    conditions = removeCondition(conditions, 'ReplicaFailure');
  }
  // Zero counts are left out, as Go's omitempty does.
  return omitZero(
    {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((pod) => matchLabelSelector(templateSelector, pod.metadata.labels)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((pod) => isPodAvailable(pod, minReady, nowMs)).length,
      observedGeneration: rs.metadata.generation,
      conditions: conditions?.length ? conditions : undefined,
    },
    ['replicas'],
  );
}
