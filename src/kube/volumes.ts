/**
 * The shapes of PersistentVolumeClaims, PersistentVolumes and StorageClasses
 * that the storage controllers, the scheduler's volume binding and
 * KubeVirt's controllers read, with the annotations kube's PV controller
 * and external provisioners write (pkg/controller/volume/persistentvolume/util).
 */
import type { KubeObject } from '../api/types.js';

export const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;
export const PV = { apiVersion: 'v1', kind: 'PersistentVolume' } as const;
export const STORAGE_CLASS = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' } as const;

export const ANN_DEFAULT_STORAGE_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
/** kube's marker of a class whose volumes are made by hand (local volumes): nothing provisions them. */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

export interface StorageClass extends KubeObject {
  provisioner: string;
  reclaimPolicy?: 'Delete' | 'Retain';
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  allowVolumeExpansion?: boolean;
}

export interface PersistentVolumeClaim extends KubeObject {
  spec?: {
    storageClassName?: string;
    accessModes?: string[];
    volumeMode?: string;
    volumeName?: string;
    resources?: { requests?: Record<string, string> };
    dataSource?: { apiGroup?: string; kind: string; name: string };
  };
  status?: { phase?: string; accessModes?: string[]; capacity?: Record<string, string> };
}

/** A node selector term (core/v1 NodeSelectorTerm), as a PV's node affinity holds it. */
export interface NodeSelectorTerm {
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt'; values?: string[] }>;
  matchFields?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt'; values?: string[] }>;
}

export interface ClaimRef {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface PersistentVolume extends KubeObject {
  spec?: {
    storageClassName?: string;
    accessModes?: string[];
    capacity?: Record<string, string>;
    volumeMode?: string;
    claimRef?: ClaimRef;
    persistentVolumeReclaimPolicy?: 'Delete' | 'Retain' | 'Recycle';
    nodeAffinity?: { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } };
    hostPath?: { path: string; type?: string };
  };
  status?: { phase?: string; reason?: string; message?: string; lastPhaseTransitionTime?: string };
}

/** The claim names a pod's volumes use (persistentVolumeClaim volumes; generic ephemeral volumes make `<pod>-<volume>`). */
export function podClaimNames(pod: KubeObject): string[] {
  const volumes =
    (pod.spec as { volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string }; ephemeral?: unknown }> } | undefined)
      ?.volumes ?? [];
  return volumes.flatMap((volume) => {
    if (volume.persistentVolumeClaim) return [volume.persistentVolumeClaim.claimName];
    if (volume.ephemeral) return [`${pod.metadata.name ?? ''}-${volume.name}`];
    return [];
  });
}

export const isClaimBound = (claim: PersistentVolumeClaim): boolean => !!claim.spec?.volumeName;

/** The class a claim asks for; an empty string means "no class" (only PVs without one). */
export const claimClassName = (claim: PersistentVolumeClaim): string => claim.spec?.storageClassName ?? '';

export const claimKey = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;
