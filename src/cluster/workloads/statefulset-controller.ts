/**
 * The StatefulSet controller (pkg/controller/statefulset): pods with stable
 * names `<set>-0 … <set>-(N-1)`, hostname and subdomain for the governing
 * Service; with OrderedReady, one pod at a time and each only after its
 * predecessors are Running and Ready, scaling down from the highest
 * ordinal; rolling updates from the highest ordinal down to the partition.
 */
import { Controller } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { replicasOf } from './deployment-util.js';
import { POD, STATEFUL_SET, type Pod, type StatefulSet } from './objects.js';
import { claimChildren, controllerKeyOf, deleteIfPresent, isAlreadyExists } from '../../kube/owners.js';
import { isPodAvailable, isPodReady, isTerminal } from './pod-state.js';
import { podFromTemplate } from './replicaset-controller.js';
import { syncRevision } from './revisions.js';
import { omitZero, writeStatus } from '../../kube/status.js';

const REVISION_LABEL = 'controller-revision-hash';

interface Deps {
  sets: Informer<StatefulSet>;
  pods: Informer<Pod>;
  events: EventRecorder;
}

export function statefulSetController(ctx: ComponentContext): Controller {
  const deps: Deps = {
    sets: ctx.informers.informerFor<StatefulSet>(STATEFUL_SET),
    pods: ctx.informers.informerFor<Pod>(POD),
    events: new EventRecorder(ctx.client, ctx.clock, { component: 'statefulset-controller' }, ctx.logger),
  };
  const controller = new Controller({
    name: 'statefulset-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    reconcile: (key) => syncStatefulSet(ctx, deps, key),
  });
  return controller.watch(deps.sets).watch(deps.pods, (pod) => {
    const owner = controllerKeyOf(pod, 'StatefulSet');
    return owner ? [owner] : [];
  });
}

const ordinalOf = (set: StatefulSet, pod: Pod): number => {
  const match = new RegExp(`^${set.metadata.name}-(\\d+)$`).exec(pod.metadata.name ?? '');
  return match ? Number(match[1]) : -1;
};

const isRunningAndReady = (pod: Pod): boolean => pod.status?.phase === 'Running' && isPodReady(pod);

async function syncStatefulSet(ctx: ComponentContext, deps: Deps, key: string): Promise<void> {
  const set = deps.sets.get(key);
  if (!set) return;
  const hash = await syncRevision(ctx.client, set);
  const updateRevision = `${set.metadata.name}-${hash}`;
  const owned = await claimChildren(ctx.client, set, set.spec.selector, deps.pods.listByNamespace(set.metadata.namespace ?? ''));
  const replicas = replicasOf(set);
  const byOrdinal = new Map<number, Pod>();
  for (const pod of owned) byOrdinal.set(ordinalOf(set, pod), pod);
  if (!set.metadata.deletionTimestamp) await reconcilePods(ctx, deps, set, hash, replicas, byOrdinal);

  const live = owned.filter((pod) => !isTerminal(pod) && ordinalOf(set, pod) >= 0);
  const updated = live.filter((pod) => pod.metadata.labels?.[REVISION_LABEL] === hash).length;
  const currentRevision =
    live.length === updated ? updateRevision : ((set.status?.currentRevision as string | undefined) ?? updateRevision);
  await writeStatus(ctx.client, set, {
    ...omitZero({
      observedGeneration: set.metadata.generation,
      readyReplicas: live.filter(isPodReady).length,
      currentReplicas: currentRevision === updateRevision ? updated : live.length - updated,
      updatedReplicas: updated,
    }),
    replicas: live.length,
    availableReplicas: live.filter((pod) => isPodAvailable(pod, set.spec.minReadySeconds ?? 0, ctx.clock.nowMs())).length,
    currentRevision,
    updateRevision,
    collisionCount: 0,
  });
}

/** One pass of creations, deletions and updates; OrderedReady stops at the first pod that is not yet Running and Ready. */
async function reconcilePods(
  ctx: ComponentContext,
  deps: Deps,
  set: StatefulSet,
  hash: string,
  replicas: number,
  byOrdinal: Map<number, Pod>,
): Promise<void> {
  const ordered = set.spec.podManagementPolicy !== 'Parallel';
  for (let ordinal = 0; ordinal < replicas; ordinal++) {
    const pod = byOrdinal.get(ordinal);
    if (!pod || pod.status?.phase === 'Failed') {
      if (pod) await deletePod(ctx, deps, set, pod);
      await createPod(ctx, deps, set, hash, ordinal);
      if (ordered) return;
      continue;
    }
    if (ordered && (pod.metadata.deletionTimestamp || !isRunningAndReady(pod))) return;
  }
  const surplus = [...byOrdinal.entries()]
    .filter(([ordinal, pod]) => (ordinal >= replicas || ordinal < 0) && !pod.metadata.deletionTimestamp)
    .sort(([a], [b]) => b - a);
  for (const [, pod] of ordered ? surplus.slice(0, 1) : surplus) await deletePod(ctx, deps, set, pod);
  if (surplus.length) return;
  if (set.spec.updateStrategy?.type === 'OnDelete') return;
  // Rolling update: the highest outdated ordinal at or above the partition goes, once everything else is ready.
  const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const allReady = [...byOrdinal.values()].every((pod) => !pod.metadata.deletionTimestamp && isRunningAndReady(pod));
  const outdated = [...byOrdinal.entries()]
    .filter(([ordinal, pod]) => ordinal >= partition && pod.metadata.labels?.[REVISION_LABEL] !== hash)
    .sort(([a], [b]) => b - a);
  if (outdated.length && allReady) await deletePod(ctx, deps, set, outdated[0][1]);
}

async function createPod(ctx: ComponentContext, deps: Deps, set: StatefulSet, hash: string, ordinal: number): Promise<void> {
  const name = `${set.metadata.name}-${ordinal}`;
  const pod = podFromTemplate(set, { name });
  pod.metadata.labels = {
    ...pod.metadata.labels,
    [REVISION_LABEL]: hash,
    'statefulset.kubernetes.io/pod-name': name,
    'apps.kubernetes.io/pod-index': String(ordinal),
  };
  pod.spec = { ...pod.spec, hostname: name, ...(set.spec.serviceName ? { subdomain: set.spec.serviceName } : {}) };
  try {
    await ctx.client.create(pod);
    void deps.events.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} successful`);
  } catch (err) {
    if (isAlreadyExists(err)) return;
    void deps.events.event(
      set,
      'Warning',
      'FailedCreate',
      `create Pod ${name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
    );
    throw err;
  }
}

async function deletePod(ctx: ComponentContext, deps: Deps, set: StatefulSet, pod: Pod): Promise<void> {
  await deleteIfPresent(ctx.client, pod);
  void deps.events.event(
    set,
    'Normal',
    'SuccessfulDelete',
    `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
  );
}
