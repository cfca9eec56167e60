/**
 * The Deployment controller (pkg/controller/deployment): owns ReplicaSets
 * named `<deployment>-<pod-template-hash>`, rolls from old to new with the
 * RollingUpdate bounds (maxSurge, maxUnavailable) or Recreate, scales
 * proportionally, keeps revisionHistoryLimit old ReplicaSets, and reports
 * the status and the Available/Progressing conditions `kubectl rollout
 * status` reads.
 */
import { isDeepStrictEqual } from 'node:util';
import { matchLabelSelector } from '../../api/selectors/label-selector.js';
import { rfc3339 } from '../../runtime/clock.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import {
  byCreation,
  equalIgnoreHash,
  isComplete,
  isProgressing,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  replicaSetAnnotations,
  replicasOf,
  resolveFenceposts,
  revisionOf,
  rolloutCounts,
  specReplicasSum,
  splitReplicaSets,
  withCondition,
  replicaCountAnnotations,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
} from './deployment-util.js';
import {
  DEPLOYMENT,
  POD,
  REPLICA_SET,
  type Condition,
  type Deployment,
  type DeploymentStatus,
  type Pod,
  type ReplicaSet,
} from './objects.js';
import { claimChildren, controllerKeyOf, controllerRefOf, deleteIfPresent, isAlreadyExists, newControllerRef } from '../../kube/owners.js';
import { isTerminal } from './pod-state.js';
import { omitZero, writeStatus } from '../../kube/status.js';
import { computeHash } from './template-hash.js';

interface Deps {
  ctx: ComponentContext;
  deployments: Informer<Deployment>;
  replicaSets: Informer<ReplicaSet>;
  pods: Informer<Pod>;
  events: EventRecorder;
}

export function deploymentController(ctx: ComponentContext): Controller {
  const deps: Deps = {
    ctx,
    deployments: ctx.informers.informerFor<Deployment>(DEPLOYMENT),
    replicaSets: ctx.informers.informerFor<ReplicaSet>(REPLICA_SET),
    pods: ctx.informers.informerFor<Pod>(POD),
    events: new EventRecorder(ctx.client, ctx.clock, { component: 'deployment-controller' }, ctx.logger),
  };
  const controller = new Controller({
    name: 'deployment-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    workers: 2,
    reconcile: (key) => new DeploymentSync(deps, key).run(),
  });
  return (
    controller
      .watch(deps.deployments)
      .watch(deps.replicaSets, (rs) => deploymentsFor(rs, deps.deployments))
      // Recreate waits for the old pods to be gone: their deletion concerns the deployment.
      .watch(deps.pods, (pod) => {
        const rsKey = controllerKeyOf(pod, 'ReplicaSet');
        const rs = rsKey ? deps.replicaSets.get(rsKey) : undefined;
        const owner = rs && controllerKeyOf(rs, 'Deployment');
        return owner && pod.metadata.deletionTimestamp ? [owner] : [];
      })
  );
}

function deploymentsFor(rs: ReplicaSet, deployments: Informer<Deployment>): string[] {
  const owner = controllerKeyOf(rs, 'Deployment');
  if (owner) return [owner];
  if (controllerRefOf(rs)) return [];
  return deployments
    .listByNamespace(rs.metadata.namespace ?? '')
    .filter((d) => matchLabelSelector(d.spec.selector, rs.metadata.labels))
    .map(objectKey);
}

/** One reconcile of one deployment; holds the latest copy as writes replace it. */
class DeploymentSync {
  private d!: Deployment;
  private owned: ReplicaSet[] = [];

  constructor(
    private readonly deps: Deps,
    private readonly key: string,
  ) {}

  private get client() {
    return this.deps.ctx.client;
  }

  private now(): string {
    return rfc3339(this.deps.ctx.clock.now());
  }

  async run(): Promise<ReconcileResult> {
    const cached = this.deps.deployments.get(this.key);
    if (!cached) return;
    this.d = cached;
    const candidates = this.deps.replicaSets.listByNamespace(cached.metadata.namespace ?? '');
    this.owned = await claimChildren(this.client, cached, cached.spec.selector, candidates);
    if (cached.metadata.deletionTimestamp) return this.syncStatusOnly();
    await this.checkPausedConditions();
    if (this.d.spec.paused) {
      await this.scale();
      await this.cleanup();
      return this.syncStatusOnly();
    }
    if (this.isScalingEvent()) {
      await this.scale();
      return this.syncStatusOnly();
    }
    return this.d.spec.strategy?.type === 'Recreate' ? this.rolloutRecreate() : this.rolloutRolling();
  }

  // --- rollouts ------------------------------------------------------------------------------

  private async rolloutRolling(): Promise<ReconcileResult> {
    const { oldRSs } = splitReplicaSets(this.d, this.owned);
    const newRS = await this.newReplicaSet(true);
    if (newRS && (await this.reconcileNewReplicaSet(newRS, oldRSs))) return this.syncRolloutStatus();
    if (await this.reconcileOldReplicaSets(newRS, oldRSs)) return this.syncRolloutStatus();
    if (isComplete(this.d, rolloutCounts(this.d, newRS, this.owned))) await this.cleanup();
    return this.syncRolloutStatus();
  }

  private async rolloutRecreate(): Promise<ReconcileResult> {
    const { oldRSs } = splitReplicaSets(this.d, this.owned);
    let newRS = await this.newReplicaSet(false);
    let scaledDown = false;
    for (const rs of oldRSs) if (replicasOf(rs) > 0) scaledDown = (await this.scaleReplicaSet(rs, 0)) || scaledDown;
    if (scaledDown || this.oldPodsRunning(oldRSs)) return this.syncRolloutStatus();
    newRS ??= await this.newReplicaSet(true);
    if (newRS) await this.scaleReplicaSet(newRS, replicasOf(this.d));
    if (isComplete(this.d, rolloutCounts(this.d, newRS, this.owned))) await this.cleanup();
    return this.syncRolloutStatus();
  }

  /** Recreate starts the new pods only once no old pod is left in any phase but a terminal one. */
  private oldPodsRunning(oldRSs: ReplicaSet[]): boolean {
    if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    return this.deps.pods
      .listByNamespace(this.d.metadata.namespace ?? '')
      .some((pod) => oldUids.has(controllerRefOf(pod)?.uid) && !isTerminal(pod));
  }

  /** Scales the new ReplicaSet up within maxSurge (or down to the desired count); true if it changed. */
  private async reconcileNewReplicaSet(newRS: ReplicaSet, oldRSs: ReplicaSet[]): Promise<boolean> {
    const desired = replicasOf(this.d);
    const current = replicasOf(newRS);
    if (current === desired) return false;
    if (current > desired) return this.scaleReplicaSet(newRS, desired);
    const maxTotal = desired + resolveFenceposts(this.d).maxSurge;
    const total = specReplicasSum([newRS, ...oldRSs]);
    if (total >= maxTotal) return false;
    return this.scaleReplicaSet(newRS, current + Math.min(maxTotal - total, desired - current));
  }

  /** Scales old ReplicaSets down as far as maxUnavailable allows, unhealthy replicas first; true if any changed. */
  private async reconcileOldReplicaSets(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<boolean> {
    if (specReplicasSum(oldRSs) === 0) return false;
    const all = newRS ? [newRS, ...oldRSs] : oldRSs;
    const minAvailable = replicasOf(this.d) - resolveFenceposts(this.d).maxUnavailable;
    const newUnavailable = newRS ? replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
    let budget = specReplicasSum(all) - minAvailable - newUnavailable;
    if (budget <= 0) return false;
    let changed = false;
    const sorted = [...oldRSs].sort(byCreation);
    // Replicas that are not available cost no availability to remove.
    for (const rs of sorted) {
      if (budget <= 0) break;
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const cut = Math.min(unhealthy, budget);
      changed = (await this.scaleReplicaSet(rs, replicasOf(rs) - cut)) || changed;
      budget -= cut;
    }
    const available = all.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    let removable = available - minAvailable;
    for (const rs of sorted) {
      if (removable <= 0) break;
      const live = this.latestReplicaSet(rs);
      if (replicasOf(live) === 0) continue;
      const cut = Math.min(replicasOf(live), removable);
      changed = (await this.scaleReplicaSet(live, replicasOf(live) - cut)) || changed;
      removable -= cut;
    }
    return changed;
  }

  // --- scaling -------------------------------------------------------------------------------

  /** A replica count changed while no rollout is due: some active ReplicaSet's desired-replicas annotation differs. */
  private isScalingEvent(): boolean {
    const desired = String(replicasOf(this.d));
    return this.owned.some((rs) => replicasOf(rs) > 0 && rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] !== desired);
  }

  /**
   * dc.scale: with one active ReplicaSet it takes the whole count; otherwise
   * the change is spread over the active ReplicaSets in proportion to their
   * size, the rounding leftover going to the largest.
   */
  private async scale(): Promise<void> {
    const desired = replicasOf(this.d);
    const { newRS } = splitReplicaSets(this.d, this.owned);
    const active = this.owned.filter((rs) => replicasOf(rs) > 0);
    if (active.length <= 1) {
      const target = active[0] ?? newRS;
      if (target) await this.scaleReplicaSet(target, desired);
      return;
    }
    const { maxSurge } = resolveFenceposts(this.d);
    const allowed = desired + maxSurge;
    const toAdd = allowed - specReplicasSum(active);
    if (toAdd === 0) return;
    const sorted = [...active].sort((a, b) =>
      toAdd > 0 ? replicasOf(b) - replicasOf(a) || -byCreation(a, b) : replicasOf(b) - replicasOf(a) || byCreation(a, b),
    );
    let added = 0;
    const targets = sorted.map((rs) => {
      const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION] ?? this.d.status?.replicas ?? 0) || replicasOf(rs);
      const fraction = desired === 0 ? -replicasOf(rs) : Math.round((replicasOf(rs) * allowed) / annotated) - replicasOf(rs);
      const share = toAdd > 0 ? Math.min(fraction, toAdd - added) : Math.max(fraction, toAdd - added);
      added += share;
      return replicasOf(rs) + share;
    });
    targets[0] += toAdd - added;
    for (const [i, rs] of sorted.entries()) await this.scaleReplicaSet(rs, Math.max(targets[i], 0));
  }

  private latestReplicaSet(rs: ReplicaSet): ReplicaSet {
    return this.owned.find((o) => o.metadata.uid === rs.metadata.uid) ?? rs;
  }

  /** Sets a ReplicaSet's replicas and replica annotations, recording ScalingReplicaSet; true if it changed. */
  private async scaleReplicaSet(rs: ReplicaSet, replicas: number): Promise<boolean> {
    const from = replicasOf(rs);
    const annotations = { ...rs.metadata.annotations, ...replicaCountAnnotations(this.d) };
    const annotationsChanged =
      annotations[DESIRED_REPLICAS_ANNOTATION] !== rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] ||
      annotations[MAX_REPLICAS_ANNOTATION] !== rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION];
    if (from === replicas && !annotationsChanged) return false;
    const updated = await this.client.update<ReplicaSet>({
      ...rs,
      metadata: { ...rs.metadata, annotations },
      spec: { ...rs.spec, replicas },
    });
    this.owned = this.owned.map((o) => (o.metadata.uid === updated.metadata.uid ? updated : o));
    if (from !== replicas) {
      const direction = replicas > from ? 'up' : 'down';
      void this.deps.events.event(
        this.d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${direction} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
      );
    }
    return from !== replicas;
  }

  // --- the new ReplicaSet and revisions ----------------------------------------------------------

  /**
   * getNewReplicaSet: finds the ReplicaSet of the current template and
   * brings its revision up to date, or (if asked) creates it with the next
   * revision, resolving a name collision with status.collisionCount.
   */
  private async newReplicaSet(create: boolean): Promise<ReplicaSet | undefined> {
    const { newRS: existing, oldRSs } = splitReplicaSets(this.d, this.owned);
    const revision = Math.max(0, ...oldRSs.map(revisionOf)) + 1;
    if (existing) {
      const annotations = replicaSetAnnotations(this.d, existing.metadata.annotations ?? {}, revision);
      let rs = existing;
      if (!isDeepStrictEqual(annotations, existing.metadata.annotations ?? {})) {
        rs = await this.client.update<ReplicaSet>({ ...existing, metadata: { ...existing.metadata, annotations } });
        this.owned = this.owned.map((o) => (o === existing ? rs : o));
      }
      await this.setDeploymentRevision(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? String(revision));
      if (!this.d.status?.conditions?.some((c) => c.type === 'Progressing') && this.hasProgressDeadline()) {
        await this.writeDeploymentStatus({
          ...this.d.status,
          conditions: this.progressing('True', 'FoundNewReplicaSet', `Found new replica set "${rs.metadata.name}"`),
        });
      }
      return rs;
    }
    if (!create) return undefined;
    return this.createReplicaSet(revision);
  }

  private async createReplicaSet(revision: number): Promise<ReplicaSet | undefined> {
    const d = this.d;
    const collisionCount = d.status?.collisionCount;
    const hash = computeHash(d.spec.template, collisionCount);
    const template = structuredClone(d.spec.template);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = { ...d.spec.selector, matchLabels: { ...d.spec.selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash } };
    const { maxSurge } = resolveFenceposts(d);
    const desired = replicasOf(d);
    const replicas =
      d.spec.strategy?.type === 'Recreate' ? desired : Math.max(0, Math.min(desired, desired + maxSurge - specReplicasSum(this.owned)));
    const body: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: replicaSetAnnotations(d, undefined, revision),
        ownerReferences: [newControllerRef(d)],
      },
      spec: { replicas, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    let created: ReplicaSet;
    try {
      created = await this.client.create<ReplicaSet>(body);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const clash = await this.client.get<ReplicaSet>(REPLICA_SET, d.metadata.namespace, body.metadata.name!);
      // Our own ReplicaSet, not yet in the cache: use it. Someone else's: bump the collision count and try another name.
      if (controllerRefOf(clash)?.uid === d.metadata.uid && equalIgnoreHash(clash.spec.template, d.spec.template)) return clash;
      await this.writeDeploymentStatus({ ...d.status, collisionCount: (collisionCount ?? 0) + 1 });
      throw err;
    }
    this.owned = [...this.owned, created];
    if (replicas > 0)
      void this.deps.events.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
    await this.setDeploymentRevision(String(revision));
    if (this.hasProgressDeadline()) {
      await this.writeDeploymentStatus({
        ...this.d.status,
        conditions: this.progressing('True', 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`),
      });
    }
    return created;
  }

  private async setDeploymentRevision(revision: string): Promise<void> {
    if (this.d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    this.d = await this.client.update<Deployment>({
      ...this.d,
      metadata: { ...this.d.metadata, annotations: { ...this.d.metadata.annotations, [REVISION_ANNOTATION]: revision } },
    });
  }

  /** Old ReplicaSets beyond revisionHistoryLimit that are fully scaled down go, oldest first. */
  private async cleanup(): Promise<void> {
    const limit = this.d.spec.revisionHistoryLimit ?? 10;
    const { oldRSs } = splitReplicaSets(this.d, this.owned);
    const removable = oldRSs.filter(
      (rs) =>
        replicasOf(rs) === 0 &&
        (rs.status?.replicas ?? 0) === 0 &&
        !rs.metadata.deletionTimestamp &&
        (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0),
    );
    const excess = oldRSs.length - limit;
    for (const rs of removable.sort(byCreation).slice(0, Math.max(0, excess))) await deleteIfPresent(this.client, rs);
  }

  // --- status --------------------------------------------------------------------------------

  private hasProgressDeadline(): boolean {
    const deadline = this.d.spec.progressDeadlineSeconds;
    return deadline !== undefined && deadline !== 2147483647;
  }

  private condition(type: string, status: Condition['status'], reason: string, message: string): Condition {
    const now = this.now();
    return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
  }

  private progressing(status: Condition['status'], reason: string, message: string): Condition[] {
    return withCondition(this.d.status?.conditions, this.condition('Progressing', status, reason, message));
  }

  /** Paused and resumed show in the Progressing condition with status Unknown. */
  private async checkPausedConditions(): Promise<void> {
    if (!this.hasProgressDeadline()) return;
    const reason = this.d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason;
    if (this.d.spec.paused && reason !== 'DeploymentPaused') {
      await this.writeDeploymentStatus({
        ...this.d.status,
        conditions: this.progressing('Unknown', 'DeploymentPaused', 'Deployment is paused'),
      });
    } else if (!this.d.spec.paused && reason === 'DeploymentPaused') {
      await this.writeDeploymentStatus({
        ...this.d.status,
        conditions: this.progressing('Unknown', 'DeploymentResumed', 'Deployment is resumed'),
      });
    }
  }

  /** calculateStatus: counts plus the Available condition. */
  private calculateStatus(newRS: ReplicaSet | undefined): DeploymentStatus {
    const status: DeploymentStatus = { ...rolloutCounts(this.d, newRS, this.owned), collisionCount: this.d.status?.collisionCount };
    const maxUnavailable =
      this.d.spec.strategy?.type === 'Recreate' ? 0 : Math.min(resolveFenceposts(this.d).maxUnavailable, replicasOf(this.d));
    const available = (status.availableReplicas ?? 0) >= replicasOf(this.d) - maxUnavailable;
    const condition = available
      ? this.condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
      : this.condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.');
    status.conditions = withCondition(this.d.status?.conditions, condition);
    return status;
  }

  private async syncStatusOnly(): Promise<ReconcileResult> {
    const { newRS } = splitReplicaSets(this.d, this.owned);
    await this.writeDeploymentStatus(this.calculateStatus(newRS));
  }

  /** syncRolloutStatus: the Progressing condition follows the rollout; a stalled one is checked again at its deadline. */
  private async syncRolloutStatus(): Promise<ReconcileResult> {
    const { newRS } = splitReplicaSets(this.d, this.owned);
    const status = this.calculateStatus(newRS);
    const current = status.conditions?.find((c) => c.type === 'Progressing');
    const alreadyComplete = status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
    let requeueAfterMs: number | undefined;
    if (this.hasProgressDeadline() && !alreadyComplete) {
      const rsName = newRS?.metadata.name ?? '';
      if (isComplete(this.d, status)) {
        const message = newRS
          ? `ReplicaSet "${rsName}" has successfully progressed.`
          : `Deployment "${this.d.metadata.name}" has successfully progressed.`;
        status.conditions = withCondition(status.conditions, this.condition('Progressing', 'True', 'NewReplicaSetAvailable', message));
      } else if (isProgressing(this.d, status)) {
        // Progress moves lastUpdateTime even when the reason stays; the transition time stays while the status is True.
        const next = this.condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`);
        if (current?.status === 'True') next.lastTransitionTime = current.lastTransitionTime;
        status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'Progressing'), next];
      } else if (current && current.reason !== 'ProgressDeadlineExceeded' && this.deadlineMsLeft(current) <= 0) {
        status.conditions = withCondition(
          status.conditions,
          this.condition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`),
        );
      }
      const progressing = status.conditions?.find((c) => c.type === 'Progressing');
      if (
        progressing &&
        progressing.reason !== 'NewReplicaSetAvailable' &&
        progressing.reason !== 'ProgressDeadlineExceeded' &&
        !isComplete(this.d, status)
      ) {
        requeueAfterMs = Math.max(this.deadlineMsLeft(progressing), 0) + 1000;
      }
    }
    await this.writeDeploymentStatus(status);
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  private deadlineMsLeft(condition: Condition): number {
    const since = Date.parse(condition.lastUpdateTime ?? '') || 0;
    return since + (this.d.spec.progressDeadlineSeconds ?? 600) * 1000 - this.deps.ctx.clock.nowMs();
  }

  private async writeDeploymentStatus(status: DeploymentStatus): Promise<void> {
    const written = await writeStatus(this.client, this.d, omitZero(status));
    if (written) this.d = written;
  }
}
