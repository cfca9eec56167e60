/**
 * A simulated CDI (Containerized Data Importer), as a kind cluster with CDI
 * installed has it: the CDI CR reported Deployed, StorageProfiles for the
 * classes, and the DataVolume controller with its importer, under CDI's own
 * identity (cdi/cdi-sa). Installed with `--install-cdi` (startEmulator's
 * `installCdi`), as kind users add CDI: the assembly point creates
 * cdiInstallObjects() at start and runs these components. CDI is not part of
 * Kubernetes nor of KubeVirt: nothing here imports either simulation, and
 * KubeVirt sees it only through the API.
 */
import { PVC, STORAGE_CLASS, type PersistentVolumeClaim, type StorageClass } from '../kube/volumes.js';
import type { Component } from '../runtime/component.js';
import { asIdentity, type ComponentContext } from '../runtime/component-context.js';
import { cdiStatusController } from './cdi-status.js';
import { dataVolumeController } from './datavolume-controller.js';
import { importSimulator, TransferProgress } from './import-simulator.js';
import { storageProfileController } from './storage-profiles.js';
import { CDI, DATA_SOURCE, DATA_VOLUME, STORAGE_PROFILE, type DataSource, type DataVolume } from './types.js';

export { cdiInstallObjects } from './manifests.js';

const CDI_CONFIG = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'CDIConfig' } as const;

export function cdiComponents(shared: ComponentContext): Component[] {
  const ctx = asIdentity(shared, { component: 'addon', agent: 'cdi-controller', namespace: 'cdi', serviceAccount: 'cdi-sa' });
  const claims = ctx.informers.informerFor<PersistentVolumeClaim>(PVC);
  const classes = ctx.informers.informerFor<StorageClass>(STORAGE_CLASS);
  const progress = new TransferProgress();
  return [
    cdiStatusController(ctx, { cdis: ctx.informers.informerFor(CDI), configs: ctx.informers.informerFor(CDI_CONFIG), classes }),
    storageProfileController(ctx, classes, ctx.informers.informerFor(STORAGE_PROFILE)),
    dataVolumeController(
      ctx,
      {
        dataVolumes: ctx.informers.informerFor<DataVolume>(DATA_VOLUME),
        claims,
        classes,
        dataSources: ctx.informers.informerFor<DataSource>(DATA_SOURCE),
      },
      progress,
    ),
    importSimulator(ctx, claims, progress),
  ];
}
