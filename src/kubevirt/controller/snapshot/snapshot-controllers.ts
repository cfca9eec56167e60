/**
 * virt-controller's storage controllers, wired together: VM snapshots and
 * their contents, restores, clones and exports. They run whatever the
 * Snapshot gate says (virt-api refuses new objects when it is off, §7);
 * VMExport is GA and always on.
 */
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { Pod } from '../../../kube/pods.js';
import type { Component } from '../../../runtime/component.js';
import { EventRecorder } from '../../../runtime/events.js';
import type { Informer } from '../../../runtime/informer.js';
import { CloneController } from '../clone/clone-controller.js';
import { POD_REF } from '../constants.js';
import { ExportController } from '../export/export-controller.js';
import { EXPORT_SERVICE_LABEL } from '../export/export-objects.js';
import { RestoreController } from './restore-controller.js';
import type { VmRestore } from './restore-target.js';
import {
  STORAGE_CLASS_REF,
  type Claim,
  VMCLONE_REF,
  VMEXPORT_REF,
  VMRESTORE_REF,
  VMSNAPSHOT_CONTENT_REF,
  VMSNAPSHOT_REF,
} from './snapshot-common.js';
import { SnapshotContentController } from './snapshot-content-controller.js';
import { SnapshotController } from './snapshot-controller.js';
import type { SnapshotVm } from './snapshot-source.js';
import type { SnapshotContent, VmSnapshot } from './snapshot-status.js';
import { VolumeSnapshotClasses } from './snapshot-volume-class.js';
import { SnapshotVmVolumesController } from './snapshot-vm-volumes.js';
import type { VirtualMachineInstance } from '../types.js';

export interface StorageControllerDeps {
  ctx: ComponentContext;
  vms: Informer<SnapshotVm>;
  vmis: Informer<VirtualMachineInstance>;
  pvcs: Informer<Claim>;
  launcherImage: () => string;
}

export function storageControllers({ ctx, vms, vmis, pvcs, launcherImage }: StorageControllerDeps): Component[] {
  const { informers } = ctx;
  const snapshots = informers.informerFor<VmSnapshot>(VMSNAPSHOT_REF);
  const contents = informers.informerFor<SnapshotContent>(VMSNAPSHOT_CONTENT_REF);
  const restores = informers.informerFor<VmRestore>(VMRESTORE_REF);
  const storageClasses = informers.informerFor(STORAGE_CLASS_REF);
  const snapshotClasses = new VolumeSnapshotClasses(ctx.client, storageClasses);
  const recorder = (component: string) => new EventRecorder(ctx.client, ctx.clock, { component }, ctx.logger);
  const snapshotRecorder = recorder('snapshot-controller');
  return [
    new SnapshotController({ ctx, snapshots, contents, vms, vmis, pvcs, snapshotClasses, recorder: snapshotRecorder }),
    new SnapshotContentController({ ctx, snapshots, contents, snapshotClasses, recorder: snapshotRecorder }),
    new SnapshotVmVolumesController({ ctx, vms, pvcs, snapshotClasses }),
    new RestoreController({
      ctx,
      restores,
      snapshots,
      contents,
      vms,
      vmis,
      pvcs,
      storageClasses,
      recorder: recorder('restore-controller'),
    }),
    new CloneController({
      ctx,
      clones: informers.informerFor(VMCLONE_REF),
      vms,
      snapshots,
      contents,
      restores,
      pvcs,
      recorder: recorder('clone-controller'),
    }),
    new ExportController({
      ctx,
      exports: informers.informerFor(VMEXPORT_REF),
      exporterPods: informers.informerFor<Pod>(POD_REF, { labelSelector: EXPORT_SERVICE_LABEL }),
      vms,
      vmis,
      pvcs,
      snapshots,
      contents,
      launcherImage,
      recorder: recorder('export-controller'),
    }),
  ];
}
