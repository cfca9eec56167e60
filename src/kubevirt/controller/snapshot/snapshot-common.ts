/**
 * What the snapshot, restore, clone and export controllers share
 * (pkg/storage/snapshot/util.go, pkg/virt-controller/watch/clone/util.go):
 * their kinds, finalizers, the Progressing / Ready / Failure conditions they
 * write, finalizer patches, and the PVC-backed volumes of a VM spec.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client, KindRef } from '../../../client/client.js';
import { withCondition } from '../conditions.js';
import type { Condition, ConditionStatus, VmiSpec } from '../types.js';
import { parseDuration } from '../../../runtime/duration.js';

export const VMSNAPSHOT_REF: KindRef = { apiVersion: 'snapshot.kubevirt.io/v1beta1', kind: 'VirtualMachineSnapshot' };
export const VMSNAPSHOT_CONTENT_REF: KindRef = { apiVersion: 'snapshot.kubevirt.io/v1beta1', kind: 'VirtualMachineSnapshotContent' };
export const VMRESTORE_REF: KindRef = { apiVersion: 'snapshot.kubevirt.io/v1beta1', kind: 'VirtualMachineRestore' };
export const VMCLONE_REF: KindRef = { apiVersion: 'clone.kubevirt.io/v1beta1', kind: 'VirtualMachineClone' };
export const VMEXPORT_REF: KindRef = { apiVersion: 'export.kubevirt.io/v1', kind: 'VirtualMachineExport' };
export const VOLUME_SNAPSHOT_REF: KindRef = { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot' };
export const VOLUME_SNAPSHOT_CLASS_REF: KindRef = { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass' };
export const STORAGE_CLASS_REF: KindRef = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' };

export const FINALIZER_VMSNAPSHOT = 'snapshot.kubevirt.io/vmsnapshot-protection';
export const FINALIZER_VMSNAPSHOT_CONTENT = 'snapshot.kubevirt.io/vmsnapshotcontent-protection';
export const FINALIZER_SNAPSHOT_SOURCE = 'snapshot.kubevirt.io/snapshot-source-protection';
export const FINALIZER_VMRESTORE = 'snapshot.kubevirt.io/vmrestore-protection';

/** The parts of a PersistentVolumeClaim these controllers read. */
export interface Claim extends KubeObject {
  spec?: { storageClassName?: string; volumeMode?: string; [field: string]: unknown };
  status?: { phase?: string };
}

/** A `{apiGroup, kind, name}` reference (corev1.TypedLocalObjectReference). */
export interface TypedRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

/** snapshotv1.Error: when and why. */
export interface SnapshotError {
  time?: string;
  message?: string;
}

/**
 * A condition as the storage controllers build it: type, status, reason and
 * the transition time, no message (lastProbeTime is a zero metav1.Time,
 * which Go serialises as null).
 */
export const progressCondition = (
  type: 'Progressing' | 'Ready' | 'Failure',
  status: ConditionStatus,
  reason: string,
  now: string,
): Condition => ({
  type,
  status,
  reason,
  lastProbeTime: null,
  lastTransitionTime: now,
});

/** `conditions` with each of `updates` in place; one that says the same as before keeps its transition time. */
export const withConditions = (conditions: readonly Condition[] | undefined, ...updates: Condition[]): Condition[] =>
  updates.reduce<Condition[]>((list, condition) => withCondition(list, condition), [...(conditions ?? [])]);

/** Adds or removes `finalizer` with a JSON patch guarded by a test of the list it was computed from. */
export async function setFinalizer<T extends KubeObject>(
  client: Client,
  ref: KindRef,
  obj: T,
  finalizer: string,
  present: boolean,
): Promise<T> {
  const finalizers = obj.metadata.finalizers ?? [];
  if (finalizers.includes(finalizer) === present) return obj;
  const next = present ? [...finalizers, finalizer] : finalizers.filter((f) => f !== finalizer);
  const patch = obj.metadata.finalizers
    ? [
        { op: 'test', path: '/metadata/finalizers', value: obj.metadata.finalizers },
        { op: 'replace', path: '/metadata/finalizers', value: next },
      ]
    : [{ op: 'add', path: '/metadata/finalizers', value: next }];
  return client.patch<T>(ref, obj.metadata.namespace, obj.metadata.name ?? '', 'json', patch);
}

/** Volume name → claim name for every PVC or DataVolume volume (storagetypes.GetPVCsFromVolumes). */
export function claimsOfVolumes(spec: VmiSpec | undefined): Map<string, string> {
  const claims = new Map<string, string>();
  for (const volume of spec?.volumes ?? []) {
    const claim = volume.persistentVolumeClaim?.claimName ?? volume.dataVolume?.name;
    if (claim) claims.set(volume.name, claim);
  }
  return claims;
}

/** Volumes whose source can be snapshotted at all (isVolumeSnapshottable). */
export const isSnapshottable = (volume: { persistentVolumeClaim?: unknown; dataVolume?: unknown; memoryDump?: unknown }): boolean =>
  volume.persistentVolumeClaim !== undefined || volume.dataVolume !== undefined || volume.memoryDump !== undefined;

/** Go's time.ParseDuration for the forms CRDs carry ("5m", "1h30m", "90s", "0s"); undefined if unparsable. */
export function parseDurationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}
