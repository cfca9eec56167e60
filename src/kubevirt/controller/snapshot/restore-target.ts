/**
 * What a VirtualMachineRestore makes of the snapshot's VM
 * (pkg/storage/snapshot/restore.go): the name of each restored PVC per
 * volumeRestorePolicy, the PVC itself (from the backup, its data from the
 * VolumeSnapshot), and the target VM: the kept spec with volumes pointed at
 * the restored claims, the target's run strategy kept (a new VM is Halted),
 * the restore's JSON patches applied to a new VM, and the
 * `restore.kubevirt.io/lastRestoreUID` annotation.
 */
import { applyJsonPatch } from '../../../api/patch/json-patch.js';
import type { JsonObject } from '../../../api/patch/json.js';
import type { KubeObject } from '../../../api/types.js';
import type { TypedRef } from './snapshot-common.js';
import type { SnapshotVm } from './snapshot-source.js';
import type { VolumeBackup } from './snapshot-status.js';
import type { Condition } from '../types.js';

export const LAST_RESTORE_ANNOTATION = 'restore.kubevirt.io/lastRestoreUID';
export const RESTORE_NAME_ANNOTATION = 'restore.kubevirt.io/name';

export interface VolumeRestore {
  volumeName: string;
  persistentVolumeClaim: string;
  volumeSnapshotName: string;
  dataVolumeName?: string;
}

export interface VmRestore extends KubeObject {
  spec: {
    target: TypedRef;
    virtualMachineSnapshotName: string;
    targetReadinessPolicy?: 'WaitGracePeriod' | 'StopTarget' | 'FailImmediate' | 'WaitEventually';
    volumeRestorePolicy?: 'RandomizeNames' | 'InPlace' | 'PrefixTargetName';
    volumeRestoreOverrides?: Array<{
      volumeName: string;
      restoreName?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }>;
    patches?: string[];
  };
  status?: {
    complete?: boolean;
    restoreTime?: string;
    conditions?: Condition[];
    restores?: VolumeRestore[];
    deletedDataVolumes?: string[];
  };
}

/** restoreVolumeName: the override, the original claim (InPlace), `<target>-<volume>`, or `restore-<uid>-<volume>`. */
export function restoredClaimName(restore: VmRestore, volumeName: string, claimName: string): string {
  const override = restore.spec.volumeRestoreOverrides?.find((o) => o.volumeName === volumeName)?.restoreName;
  if (override) return override;
  switch (restore.spec.volumeRestorePolicy) {
    case 'InPlace':
      return claimName;
    case 'PrefixTargetName':
      return `${restore.spec.target.name ?? ''}-${volumeName}`.slice(0, 63);
    default:
      return `restore-${restore.metadata.uid ?? ''}-${volumeName}`;
  }
}

/** The PVC for one volume: the backup's claim spec, its data source the VolumeSnapshot. */
export function restoredClaim(restore: VmRestore, backup: VolumeBackup, volumeRestore: VolumeRestore, sourceVm: KubeObject): KubeObject {
  const override = restore.spec.volumeRestoreOverrides?.find((o) => o.volumeName === backup.volumeName);
  const {
    volumeName: _bound,
    dataSource: _source,
    dataSourceRef: _ref,
    ...spec
  } = structuredClone(backup.persistentVolumeClaim.spec) as Record<string, unknown>;
  const labels = {
    ...(backup.persistentVolumeClaim.metadata.labels ?? {}),
    ...(override?.labels ?? {}),
    'restore.kubevirt.io/source-vm-name': sourceVm.metadata.name ?? '',
    'restore.kubevirt.io/source-vm-namespace': sourceVm.metadata.namespace ?? '',
  };
  const annotations = { ...(override?.annotations ?? {}), [RESTORE_NAME_ANNOTATION]: restore.metadata.name ?? '' };
  const snapshotSource = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: volumeRestore.volumeSnapshotName };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: volumeRestore.persistentVolumeClaim, namespace: restore.metadata.namespace, labels, annotations },
    spec: { ...spec, dataSource: snapshotSource, dataSourceRef: snapshotSource },
  };
}

/** generateRestoredVMSpec + the patches reconcileSpec applies to a new VM. */
export function restoredVm(restore: VmRestore, snapshotVm: SnapshotVm, target: SnapshotVm | undefined): SnapshotVm {
  const spec = structuredClone(snapshotVm.spec);
  spec.template.spec.volumes = (spec.template.spec.volumes ?? [])
    .filter((volume) => volume.memoryDump === undefined)
    .map((volume) => {
      const restored = restore.status?.restores?.find((r) => r.volumeName === volume.name);
      if (!restored) return volume;
      if (volume.persistentVolumeClaim)
        return { ...volume, persistentVolumeClaim: { ...volume.persistentVolumeClaim, claimName: restored.persistentVolumeClaim } };
      if (volume.dataVolume) return { name: volume.name, persistentVolumeClaim: { claimName: restored.persistentVolumeClaim } };
      return volume;
    });
  let vm: SnapshotVm;
  if (!target) {
    if (spec.running !== undefined) spec.running = false;
    else spec.runStrategy = 'Halted';
    const metadata = {
      name: restore.spec.target.name,
      namespace: restore.metadata.namespace,
      labels: snapshotVm.metadata.labels,
      annotations: { ...(snapshotVm.metadata.annotations ?? {}) },
    };
    vm = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata, spec };
  } else {
    if (target.spec.running !== undefined) {
      spec.running = false;
      delete spec.runStrategy;
    } else {
      // An existing VM keeps its run strategy across the restore.
      spec.runStrategy = target.spec.runStrategy ?? 'Halted';
      delete spec.running;
    }
    vm = { ...structuredClone(target), spec };
  }
  vm.metadata.annotations = {
    ...(vm.metadata.annotations ?? {}),
    [LAST_RESTORE_ANNOTATION]: `${restore.metadata.name ?? ''}-${restore.metadata.uid ?? ''}`,
  };
  if (target || !restore.spec.patches?.length) return vm;
  const operations = restore.spec.patches.map((patch) => JSON.parse(patch) as { op: string });
  return withoutEmptyIdentity(operations.reduce(applyLeniently, vm as unknown as JsonObject) as unknown as SnapshotVm);
}

/**
 * KubeVirt decodes the patched VM into its Go type and back, which drops the
 * empty MAC addresses, serial and UUID a clone's patches leave (omitempty);
 * the VM mutator then generates a new firmware identity.
 */
function withoutEmptyIdentity(vm: SnapshotVm): SnapshotVm {
  const domain = vm.spec.template.spec.domain;
  for (const iface of domain.devices?.interfaces ?? []) if (iface.macAddress === '') delete iface.macAddress;
  const firmware = domain.firmware;
  if (firmware?.serial === '') delete firmware.serial;
  if (firmware?.uuid === '') delete firmware.uuid;
  return vm;
}

/**
 * One JSON-patch operation; a `replace` of a member the object lacks adds it,
 * as the Go json-patch library KubeVirt uses does (clones replace a
 * macAddress or SMBIOS serial the source VM may not set).
 */
function applyLeniently(doc: JsonObject, operation: { op: string }): JsonObject {
  try {
    return applyJsonPatch(doc, [operation]);
  } catch (err) {
    if (operation.op !== 'replace') throw err;
    return applyJsonPatch(doc, [{ ...operation, op: 'add' }]);
  }
}

export const hasLastRestoreAnnotation = (restore: VmRestore, obj: KubeObject | undefined): boolean =>
  obj?.metadata.annotations?.[LAST_RESTORE_ANNOTATION] === `${restore.metadata.name ?? ''}-${restore.metadata.uid ?? ''}`;
