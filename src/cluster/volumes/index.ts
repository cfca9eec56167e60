/**
 * Storage as a kind cluster has it: the persistent volume controller of
 * kube-controller-manager and kind's local-path provisioner (rancher.io/local-path,
 * the provisioner of the default StorageClass `standard`), plus the CSI snapshot
 * controller KubeVirt's CI adds, each under its own identity.
 * The DefaultStorageClass admission plugin is the API server's (src/emulator.ts
 * registers it); the scheduler's volume binding lives with the scheduler.
 */
import type { Component } from '../../runtime/component.js';
import { asController, asIdentity, type ComponentContext } from '../../runtime/component-context.js';
import { PV, PVC, STORAGE_CLASS, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from '../../kube/volumes.js';
import { localPathProvisioner } from './local-path-provisioner.js';
import { persistentVolumeController, type VolumeInformers } from './pv-controller.js';
import { snapshotController, VOLUME_SNAPSHOT, VOLUME_SNAPSHOT_CLASS, VOLUME_SNAPSHOT_CONTENT } from './snapshot-controller.js';

export { defaultStorageClassPlugin } from './default-storage-class.js';

export function storageComponents(ctx: ComponentContext): Component[] {
  const informers: VolumeInformers = {
    claims: ctx.informers.informerFor<PersistentVolumeClaim>(PVC),
    volumes: ctx.informers.informerFor<PersistentVolume>(PV),
    classes: ctx.informers.informerFor<StorageClass>(STORAGE_CLASS),
  };
  const provisioner = asIdentity(ctx, {
    component: 'addon',
    agent: 'local-path-provisioner',
    namespace: 'local-path-storage',
    serviceAccount: 'local-path-provisioner-service-account',
  });
  const snapshots = asIdentity(ctx, {
    component: 'addon',
    agent: 'snapshot-controller',
    namespace: 'kube-system',
    serviceAccount: 'snapshot-controller',
  });
  return [
    persistentVolumeController(asController(ctx, 'persistent-volume-binder'), informers),
    localPathProvisioner(provisioner, informers),
    snapshotController(snapshots, {
      snapshots: ctx.informers.informerFor(VOLUME_SNAPSHOT),
      contents: ctx.informers.informerFor(VOLUME_SNAPSHOT_CONTENT),
      classes: ctx.informers.informerFor(VOLUME_SNAPSHOT_CLASS),
      claims: informers.claims,
      volumes: informers.volumes,
    }),
  ];
}
