/**
 * The snapshot controller's VM pass (updateVolumeSnapshotStatuses in
 * pkg/storage/snapshot/snapshot.go): every VM's `status.volumeSnapshotStatuses`
 * says per volume whether a snapshot would include it, and why not. Clones
 * read it before they snapshot a VM.
 */
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { Component } from '../../../runtime/component.js';
import { Controller } from '../../../runtime/controller.js';
import { objectKey, type Informer } from '../../../runtime/informer.js';
import { jsonEqual } from '../../../kube/json-equal.js';
import { isSnapshottable, type Claim } from './snapshot-common.js';
import type { SnapshotVm } from './snapshot-source.js';
import type { VolumeSnapshotClasses } from './snapshot-volume-class.js';
import type { Volume } from '../types.js';

interface VolumeSnapshotStatus {
  name: string;
  enabled: boolean;
  reason?: string;
}

export interface SnapshotVmVolumesDeps {
  ctx: ComponentContext;
  vms: Informer<SnapshotVm>;
  pvcs: Informer<Claim>;
  snapshotClasses: VolumeSnapshotClasses;
}

export class SnapshotVmVolumesController implements Component {
  readonly name = 'virt-controller/vmsnapshot-volumes';
  private readonly controller: Controller;

  constructor(private readonly deps: SnapshotVmVolumesDeps) {
    const { ctx, vms, pvcs } = deps;
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(vms);
    this.controller.watch(pvcs, (pvc) =>
      vms
        .listByNamespace(pvc.metadata.namespace ?? '')
        .filter((vm) =>
          (vm.spec.template?.spec.volumes ?? []).some(
            (v) => (v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name) === pvc.metadata.name,
          ),
        )
        .map(objectKey),
    );
  }

  start(): Promise<void> {
    return this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const vm = this.deps.vms.get(key);
    if (!vm || vm.metadata.deletionTimestamp) return;
    // The VM controller writes a new VM's first status (printableStatus Starting for a running strategy, §11.1);
    // written first from here, the CRD's default would show the VM `Stopped` meanwhile. Its status write requeues us.
    if (!(vm.status as { printableStatus?: string } | undefined)?.printableStatus) return;
    const statuses: VolumeSnapshotStatus[] = [];
    for (const volume of vm.spec.template?.spec.volumes ?? []) statuses.push(await this.statusOf(vm.metadata.namespace ?? '', volume));
    const current = (vm.status as { volumeSnapshotStatuses?: unknown } | undefined)?.volumeSnapshotStatuses;
    const next = statuses.length ? statuses : undefined;
    if (jsonEqual(current, next)) return;
    await this.deps.ctx.client.update({ ...vm, status: { ...vm.status, volumeSnapshotStatuses: next } }, { subresource: 'status' });
  }

  private async statusOf(namespace: string, volume: Volume): Promise<VolumeSnapshotStatus> {
    const name = volume.name;
    if (!isSnapshottable(volume)) return { name, enabled: false, reason: `Snapshot is not supported for this volumeSource type [${name}]` };
    const claimName =
      volume.persistentVolumeClaim?.claimName ??
      volume.dataVolume?.name ??
      (volume.memoryDump as { claimName?: string } | undefined)?.claimName ??
      '';
    const claim = this.deps.pvcs.getByName(namespace, claimName);
    if (!claim) return { name, enabled: false, reason: 'PVC not found' };
    const storageClass = claim.spec?.storageClassName ?? '';
    try {
      if (await this.deps.snapshotClasses.classFor(storageClass)) return { name, enabled: true };
    } catch (err) {
      return { name, enabled: false, reason: err instanceof Error ? err.message : String(err) };
    }
    return {
      name,
      enabled: false,
      reason: `No VolumeSnapshotClass: Volume snapshots are not configured for this StorageClass [${storageClass}] [${name}]`,
    };
  }
}
