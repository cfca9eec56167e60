/**
 * Pure helpers of the Deployment controller (pkg/controller/deployment/util):
 * revisions and replica annotations, surge and unavailability bounds, which
 * ReplicaSet is "new", and the status a rollout reports.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Condition, Deployment, DeploymentStatus, PodTemplateSpec, ReplicaSet } from './objects.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Deployment annotations a ReplicaSet does not inherit. */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

export const replicasOf = (obj: { spec: { replicas?: number } }): number => obj.spec.replicas ?? 1;

export const revisionOf = (obj: { metadata: { annotations?: Record<string, string> } }): number =>
  Number(obj.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) || 0;

/** An int-or-percent of `total`, rounded up (surge) or down (unavailability). */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const percent = Number(value.replace('%', ''));
  const exact = (percent * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable for a rolling update; both zero would stall, so unavailability becomes one. */
export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  if (d.spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: 0 };
  const rolling = d.spec.strategy?.rollingUpdate ?? {};
  const desired = replicasOf(d);
  const maxSurge = scaledValue(rolling.maxSurge ?? '25%', desired, true);
  let maxUnavailable = scaledValue(rolling.maxUnavailable ?? '25%', desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** Templates equal apart from the pod-template-hash label (util.EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return isDeepStrictEqual(withoutHashLabel(a), withoutHashLabel(b));
}

function withoutHashLabel(template: PodTemplateSpec): PodTemplateSpec {
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  return { ...template, metadata: { ...template.metadata, labels } };
}

const createdMs = (rs: ReplicaSet): number => Date.parse(rs.metadata.creationTimestamp ?? '') || 0;

/** Oldest first, then by name (controller.ReplicaSetsByCreationTimestamp). */
export const byCreation = (a: ReplicaSet, b: ReplicaSet): number =>
  createdMs(a) - createdMs(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/** The ReplicaSet running the deployment's current template (the oldest if several do) and the others. */
export function splitReplicaSets(d: Deployment, owned: ReplicaSet[]): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
  const sorted = [...owned].sort(byCreation);
  const newRS = sorted.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
  return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
}

/**
 * The annotations a ReplicaSet gets from its deployment
 * (SetNewReplicaSetAnnotations): the deployment's own minus the bookkeeping
 * ones, the revision (a template that comes back, as after `rollout undo`,
 * records its former revisions), and, for a ReplicaSet about to be created,
 * the replica counts.
 */
export function replicaSetAnnotations(
  d: Deployment,
  existing: Record<string, string> | undefined,
  revision: number,
): Record<string, string> {
  const annotations: Record<string, string> = { ...(existing ?? {}) };
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) if (!NOT_COPIED.has(key)) annotations[key] = value;
  const oldRevision = annotations[REVISION_ANNOTATION];
  if (oldRevision !== undefined && Number(oldRevision) < revision) {
    const history = annotations[REVISION_HISTORY_ANNOTATION];
    annotations[REVISION_HISTORY_ANNOTATION] = history ? `${history},${oldRevision}` : oldRevision;
  }
  if (oldRevision === undefined || Number(oldRevision) < revision) annotations[REVISION_ANNOTATION] = String(revision);
  if (!existing) Object.assign(annotations, replicaCountAnnotations(d));
  return annotations;
}

/** desired-replicas and max-replicas: what proportional scaling reads back. */
export const replicaCountAnnotations = (d: Deployment): Record<string, string> => ({
  [DESIRED_REPLICAS_ANNOTATION]: String(replicasOf(d)),
  [MAX_REPLICAS_ANNOTATION]: String(replicasOf(d) + resolveFenceposts(d).maxSurge),
});

const sum = (rss: ReplicaSet[], count: (rs: ReplicaSet) => number | undefined): number =>
  rss.reduce((total, rs) => total + (count(rs) ?? 0), 0);
export const specReplicasSum = (rss: ReplicaSet[]): number => sum(rss, (rs) => rs.spec.replicas);

/** The replica counts of the status (calculateStatus), before conditions. */
export function rolloutCounts(d: Deployment, newRS: ReplicaSet | undefined, all: ReplicaSet[]): DeploymentStatus {
  const availableReplicas = sum(all, (rs) => rs.status?.availableReplicas);
  return {
    observedGeneration: d.metadata.generation,
    replicas: sum(all, (rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum(all, (rs) => rs.status?.readyReplicas),
    availableReplicas,
    unavailableReplicas: Math.max(replicasOf(d) - availableReplicas, 0),
  };
}

/** Every pod updated and available, none old left (util.DeploymentComplete). */
export const isComplete = (d: Deployment, s: DeploymentStatus): boolean =>
  s.updatedReplicas === replicasOf(d) &&
  s.replicas === replicasOf(d) &&
  s.availableReplicas === replicasOf(d) &&
  (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);

/** More pods updated or available, or fewer old ones, than last time (util.DeploymentProgressing). */
export function isProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/**
 * util.SetDeploymentCondition: the same status and reason changes nothing;
 * the same status keeps its transition time.
 */
export function withCondition(conditions: Condition[] | undefined, next: Condition): Condition[] {
  const list = conditions ?? [];
  const current = list.find((c) => c.type === next.type);
  if (current && current.status === next.status && current.reason === next.reason) return list;
  const merged = current && current.status === next.status ? { ...next, lastTransitionTime: current.lastTransitionTime } : next;
  return [...list.filter((c) => c.type !== next.type), merged];
}
