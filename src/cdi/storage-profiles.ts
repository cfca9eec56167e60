/**
 * CDI's StorageProfile controller (pkg/controller/storageprofile-controller.go,
 * CDI v1.64.0): one cluster-scoped StorageProfile per StorageClass, named after it,
 * whose status carries the class, its provisioner and the claim properties CDI
 * knows for that provisioner (pkg/storagecapabilities: kind's rancher.io/local-path
 * is ReadWriteOnce on a Filesystem), which `spec.storage` DataVolumes are completed
 * with. A class's profile goes when the class does.
 */
import type { KubeObject } from '../api/types.js';
import { isAlreadyExists, isNotFound } from '../kube/owners.js';
import { writeStatus } from '../kube/status.js';
import type { StorageClass } from '../kube/volumes.js';
import type { ComponentContext } from '../runtime/component-context.js';
import { Controller } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import { CDI_LABELS } from './datavolume-claim.js';
import { STORAGE_PROFILE } from './types.js';

/** storagecapabilities.CapabilitiesByProvisionerKey, for the provisioners a kind cluster has. */
const CLAIM_PROPERTIES: Record<string, Array<{ accessModes: string[]; volumeMode: string }>> = {
  'rancher.io/local-path': [{ accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' }],
};

export function storageProfileController(ctx: ComponentContext, classes: Informer<StorageClass>, profiles: Informer): Controller {
  async function reconcile(name: string): Promise<void> {
    const cls = classes.getByName(undefined, name);
    let profile = profiles.getByName(undefined, name);
    if (!cls) {
      if (profile) await ctx.client.delete(STORAGE_PROFILE, undefined, name).catch((err) => isNotFound(err) || Promise.reject(err));
      return;
    }
    if (!profile) {
      const created: KubeObject = { ...STORAGE_PROFILE, metadata: { name, labels: { ...CDI_LABELS, 'cdi.kubevirt.io': '' } }, spec: {} };
      try {
        profile = await ctx.client.create(created);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        return;
      }
    }
    const claimPropertySets = CLAIM_PROPERTIES[cls.provisioner];
    await writeStatus(ctx.client, profile, {
      storageClass: name,
      provisioner: cls.provisioner,
      cloneStrategy: 'copy',
      dataImportCronSourceFormat: 'pvc',
      ...(claimPropertySets && { claimPropertySets }),
    });
  }

  const controller = new Controller({ name: 'cdi/storageprofile-controller', clock: ctx.clock, logger: ctx.logger, reconcile });
  controller.watch(classes);
  controller.watch(profiles);
  return controller;
}
