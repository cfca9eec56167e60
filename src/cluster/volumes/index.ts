/**
 * Storage as a kind cluster has it: the persistent volume controller of
 * kube-controller-manager and kind's local-path provisioner (rancher.io/local-path,
 * the provisioner of the default StorageClass `standard`), under their own identities.
 * The DefaultStorageClass admission plugin is the API server's (src/emulator.ts
 * registers it); the scheduler's volume binding lives with the scheduler.
 */
import type { Component } from '../../runtime/component.js';
import { asController, asIdentity, type ComponentContext } from '../../runtime/component-context.js';
import { PV, PVC, STORAGE_CLASS, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from '../../kube/volumes.js';
import { localPathProvisioner } from './local-path-provisioner.js';
import { persistentVolumeController, type VolumeInformers } from './pv-controller.js';

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
  return [
    persistentVolumeController(asController(ctx, 'persistent-volume-binder'), informers),
    localPathProvisioner(provisioner, informers),
  ];
}
