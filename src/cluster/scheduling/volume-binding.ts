/**
 * kube-scheduler's VolumeBinding plugin (pkg/scheduler/framework/plugins/volumebinding, 1.32):
 * PreFilter rejects a pod whose claims are missing, being deleted, lost, or
 * unbound with Immediate binding (the PV controller must bind those first);
 * Filter keeps a node only if every bound volume's node affinity admits it and
 * every WaitForFirstConsumer claim can be met there (a dynamic provisioner, or an
 * Available static volume on the node). At binding the scheduler writes the
 * chosen node into those claims (or pre-binds the static volume) and waits.
 */
import type { Node, NodeSelectorTerm } from './objects.js';
import {
  ANN_SELECTED_NODE,
  claimClassName,
  isClaimBound,
  NO_PROVISIONER,
  podClaimNames,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from '../../kube/volumes.js';
import type { Pod } from './objects.js';

export const REASON_VOLUME_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const REASON_VOLUME_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const UNBOUND_IMMEDIATE_CLAIMS = 'pod has unbound immediate PersistentVolumeClaims';

/** Read access to the cluster's storage objects (the scheduler's informer caches). */
export interface VolumeLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes(): PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
}

/** The pod's claims, or the PreFilter's rejection message. */
function podClaims(pod: Pod, lookup: VolumeLookup): PersistentVolumeClaim[] | string {
  const namespace = pod.metadata.namespace ?? '';
  const claims: PersistentVolumeClaim[] = [];
  for (const name of podClaimNames(pod)) {
    const claim = lookup.claim(namespace, name);
    if (!claim) return `persistentvolumeclaim "${name}" not found`;
    if (claim.status?.phase === 'Lost')
      return `persistentvolumeclaim "${name}" bound to non-existent persistentvolume "${claim.spec?.volumeName ?? ''}"`;
    if (claim.metadata.deletionTimestamp) return `persistentvolumeclaim "${name}" is being deleted`;
    claims.push(claim);
  }
  return claims;
}

const waitsForConsumer = (claim: PersistentVolumeClaim, lookup: VolumeLookup): boolean =>
  lookup.storageClass(claimClassName(claim))?.volumeBindingMode === 'WaitForFirstConsumer';

/** PreFilter: why no node can take the pod, or undefined. */
export function volumePreFilter(pod: Pod, lookup: VolumeLookup): string | undefined {
  const claims = podClaims(pod, lookup);
  if (typeof claims === 'string') return claims;
  return claims.some((claim) => !isClaimBound(claim) && !waitsForConsumer(claim, lookup)) ? UNBOUND_IMMEDIATE_CLAIMS : undefined;
}

function requirementHolds(requirement: NonNullable<NodeSelectorTerm['matchExpressions']>[number], value: string | undefined): boolean {
  const values = requirement.values ?? [];
  if (requirement.operator === 'In') return value !== undefined && values.includes(value);
  if (requirement.operator === 'NotIn') return value === undefined || !values.includes(value);
  if (requirement.operator === 'Exists') return value !== undefined;
  if (requirement.operator === 'DoesNotExist') return value === undefined;
  return false;
}

/** A volume's required node affinity admits the node (any term whose every expression holds); no affinity admits every node. */
export function volumeAllowsNode(volume: PersistentVolume, node: Node): boolean {
  const terms = volume.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  const labels = node.metadata.labels ?? {};
  return terms.some(
    (term) =>
      (term.matchExpressions ?? []).every((r) => requirementHolds(r, labels[r.key])) &&
      (term.matchFields ?? []).every((r) => r.key === 'metadata.name' && requirementHolds(r, node.metadata.name)),
  );
}

const fitsClaim = (volume: PersistentVolume, claim: PersistentVolumeClaim): boolean =>
  !volume.spec?.claimRef &&
  volume.status?.phase === 'Available' &&
  (volume.spec?.storageClassName ?? '') === claimClassName(claim) &&
  (claim.spec?.accessModes ?? []).every((mode) => volume.spec?.accessModes?.includes(mode));

/** An Available static volume on the node for a WaitForFirstConsumer claim whose class has no provisioner. */
export function staticVolumeFor(claim: PersistentVolumeClaim, node: Node, lookup: VolumeLookup): PersistentVolume | undefined {
  return lookup.volumes().find((volume) => fitsClaim(volume, claim) && volumeAllowsNode(volume, node));
}

/** Filter: the reason the node cannot serve the pod's volumes, or undefined. */
export function volumeFilter(pod: Pod, node: Node, lookup: VolumeLookup): string | undefined {
  const claims = podClaims(pod, lookup);
  if (typeof claims === 'string') return claims;
  for (const claim of claims) {
    if (isClaimBound(claim)) {
      const volume = lookup.volume(claim.spec?.volumeName ?? '');
      if (!volume) return REASON_PV_NOT_EXIST;
      if (!volumeAllowsNode(volume, node)) return REASON_VOLUME_NODE_CONFLICT;
      continue;
    }
    const selected = claim.metadata.annotations?.[ANN_SELECTED_NODE];
    if (selected && selected !== node.metadata.name) return REASON_VOLUME_NODE_CONFLICT;
    const provisioner = lookup.storageClass(claimClassName(claim))?.provisioner;
    if (provisioner === NO_PROVISIONER && !staticVolumeFor(claim, node, lookup)) return REASON_VOLUME_BIND_CONFLICT;
  }
  return undefined;
}

/** The pod's WaitForFirstConsumer claims still to bind once a node is chosen. */
export function claimsToBind(pod: Pod, lookup: VolumeLookup): PersistentVolumeClaim[] {
  const claims = podClaims(pod, lookup);
  return typeof claims === 'string' ? [] : claims.filter((claim) => !isClaimBound(claim) && waitsForConsumer(claim, lookup));
}

export const isStaticClass = (claim: PersistentVolumeClaim, lookup: VolumeLookup): boolean =>
  lookup.storageClass(claimClassName(claim))?.provisioner === NO_PROVISIONER;
