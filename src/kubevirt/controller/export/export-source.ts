/**
 * What a VirtualMachineExport's source offers (vm-source.go, pvc-source.go,
 * vmsnapshot-source.go): the claims to export, whether they may be exported
 * now, and the Ready (and for PVCs the PVCReady) condition explaining why
 * not. A VM with no PVC-backed volumes, or a snapshot without volume
 * backups, has nothing to export: the export is Skipped.
 */
import type { Informer } from '../../../runtime/informer.js';
import { claimsOfVolumes, type Claim, type TypedRef } from '../snapshot/snapshot-common.js';
import type { SnapshotVm } from '../snapshot/snapshot-source.js';
import type { VmSnapshot, SnapshotContent } from '../snapshot/snapshot-status.js';
import { isFinal, type VirtualMachineInstance } from '../types.js';

export interface SourceConditionView {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface ExportSource {
  claims: Claim[];
  /** Nothing to export at all. */
  empty: boolean;
  /** The claims may be served now (present, populated, not in use). */
  available: boolean;
  ready: SourceConditionView;
  pvcReady?: SourceConditionView;
  /** VM and snapshot sources also serve the manifests. */
  manifests: boolean;
  virtualMachineName?: string;
}

export interface ExportSourceDeps {
  vms: Informer<SnapshotVm>;
  vmis: Informer<VirtualMachineInstance>;
  pvcs: Informer<Claim>;
  snapshots: Informer<VmSnapshot>;
  contents: Informer<SnapshotContent>;
  /** Pods other than the exporter that mount a claim. */
  podsUsing: (namespace: string, claim: string) => Promise<number>;
}

const initializing: SourceConditionView = { status: 'False', reason: 'Initializing', message: '' };

export async function exportSource(deps: ExportSourceDeps, namespace: string, source: TypedRef): Promise<ExportSource> {
  const name = source.name ?? '';
  switch (source.kind) {
    case 'VirtualMachine': {
      const base = { manifests: true, virtualMachineName: name };
      const vm = deps.vms.getByName(namespace, name);
      if (!vm)
        return {
          ...base,
          claims: [],
          empty: false,
          available: false,
          ready: { status: 'False', reason: 'VMNotFound', message: `Virtual Machine ${namespace}/${name} not found` },
        };
      const claims = [...new Set(claimsOfVolumes(vm.spec.template.spec).values())].flatMap(
        (claim) => deps.pvcs.getByName(namespace, claim) ?? [],
      );
      if (claims.length === 0)
        return {
          ...base,
          claims,
          empty: true,
          available: true,
          ready: { status: 'False', reason: 'VMNoVolumes', message: `Virtual Machine ${namespace}/${name} has no volumes` },
        };
      const vmi = deps.vmis.getByName(namespace, name);
      if (vmi && !isFinal(vmi))
        return {
          ...base,
          claims,
          empty: false,
          available: false,
          ready: { status: 'False', reason: 'InUse', message: `Virtual Machine ${namespace}/${name} is running` },
        };
      return { ...base, claims, empty: false, available: true, ready: initializing };
    }
    case 'PersistentVolumeClaim': {
      const claim = deps.pvcs.getByName(namespace, name);
      if (!claim)
        return {
          claims: [],
          empty: false,
          available: false,
          manifests: false,
          ready: initializing,
          pvcReady: { status: 'False', reason: 'PVCNotFound', message: `pvc ${namespace}/${name} not found` },
        };
      const bound = claim.status?.phase === 'Bound';
      const pvcReady: SourceConditionView = bound
        ? { status: 'True', reason: 'PVCBound', message: '' }
        : { status: 'False', reason: 'PVCPending', message: '' };
      if ((await deps.podsUsing(namespace, name)) > 0)
        return {
          claims: [claim],
          empty: false,
          available: false,
          manifests: false,
          ready: { status: 'False', reason: 'InUse', message: `pvc ${namespace}/${name} is in use` },
          pvcReady,
        };
      return { claims: [claim], empty: false, available: bound, manifests: false, ready: initializing, pvcReady };
    }
    default: {
      const snapshot = deps.snapshots.getByName(namespace, name);
      if (!snapshot)
        return {
          claims: [],
          empty: false,
          available: false,
          manifests: true,
          ready: { status: 'False', reason: 'VMSnapshotNotFound', message: `VirtualMachineSnapshot ${namespace}/${name} not found` },
        };
      const content = deps.contents.getByName(namespace, snapshot.status?.virtualMachineSnapshotContentName ?? '');
      if (snapshot.status?.readyToUse === true && !content?.spec.volumeBackups?.length) {
        return {
          claims: [],
          empty: true,
          available: true,
          manifests: true,
          ready: {
            status: 'False',
            reason: 'VMSnapshotNoVolumes',
            message: `VirtualMachineSnapshot ${namespace}/${name} does not contain any volumes`,
          },
        };
      }
      // Restoring the snapshot's volumes into PVCs to serve is not simulated.
      return {
        claims: [],
        empty: false,
        available: false,
        manifests: true,
        ready: { status: 'False', reason: 'NotAllPVCsCreated', message: 'Not all PVCs have been created' },
      };
    }
  }
}
