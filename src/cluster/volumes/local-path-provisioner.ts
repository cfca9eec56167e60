/**
 * kind's storage provisioner, rancher.io/local-path (local-path-provisioner in
 * local-path-storage): for a claim handed to it with a selected node, a hostPath
 * volume `pvc-<claim uid>` under /var/local-path-provisioner on that node, pinned
 * there by node affinity and pre-bound to the claim; a released volume of its own
 * with the Delete policy is deleted (the helper pod that empties the directory is
 * not simulated).
 */
import { isAlreadyExists, isNotFound } from '../../kube/owners.js';
import {
  ANN_PROVISIONED_BY,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  claimClassName,
  PV,
  type PersistentVolume,
  type PersistentVolumeClaim,
} from '../../kube/volumes.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { Controller } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import { objectKey } from '../../runtime/informer.js';
import type { VolumeInformers } from './pv-controller.js';

export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
const BASE_PATH = '/var/local-path-provisioner';
const ANN_LOCAL_PATH_NODE = 'local.path.provisioner/selected-node';
const VOLUME_PREFIX = 'volume:';

export const localPathVolumeName = (claim: PersistentVolumeClaim): string => `pvc-${claim.metadata.uid ?? ''}`;

function volumeFor(claim: PersistentVolumeClaim, node: string, reclaimPolicy: 'Delete' | 'Retain'): PersistentVolume {
  const name = localPathVolumeName(claim);
  const { namespace = '', name: claimName = '', uid, resourceVersion } = claim.metadata;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [ANN_LOCAL_PATH_NODE]: node, [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER } },
    spec: {
      accessModes: claim.spec?.accessModes,
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '0' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: claimName, uid, resourceVersion },
      hostPath: { path: `${BASE_PATH}/${name}_${namespace}_${claimName}`, type: 'DirectoryOrCreate' },
      nodeAffinity: {
        required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] },
      },
      persistentVolumeReclaimPolicy: reclaimPolicy,
      storageClassName: claimClassName(claim),
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
    },
  };
}

export function localPathProvisioner(ctx: ComponentContext, informers: VolumeInformers): Controller {
  const { claims, volumes, classes } = informers;
  const recorder = new EventRecorder(ctx.client, ctx.clock, { component: `${LOCAL_PATH_PROVISIONER}_local-path-provisioner` }, ctx.logger);

  async function provision(claim: PersistentVolumeClaim): Promise<void> {
    if (claim.metadata.deletionTimestamp || claim.spec?.volumeName) return;
    if (claim.metadata.annotations?.[ANN_STORAGE_PROVISIONER] !== LOCAL_PATH_PROVISIONER) return;
    if (volumes.getByName(undefined, localPathVolumeName(claim))) return;
    const storageClass = classes.getByName(undefined, claimClassName(claim));
    if (!storageClass) return;
    const key = `${claim.metadata.namespace ?? ''}/${claim.metadata.name ?? ''}`;
    const node = claim.metadata.annotations?.[ANN_SELECTED_NODE];
    if (!node) {
      void recorder.event(
        claim,
        'Warning',
        'ProvisioningFailed',
        'failed to provision volume with StorageClass ' +
          `"${storageClass.metadata.name ?? ''}": configuration error, no node was specified`,
      );
      return;
    }
    void recorder.event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${key}"`);
    try {
      await ctx.client.create(volumeFor(claim, node, storageClass.reclaimPolicy ?? 'Delete'));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      return;
    }
    void recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${localPathVolumeName(claim)}`);
  }

  async function reclaim(name: string): Promise<void> {
    const volume = volumes.getByName(undefined, name);
    if (!volume || volume.metadata.deletionTimestamp || volume.metadata.annotations?.[ANN_PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER)
      return;
    if (volume.status?.phase !== 'Released' || volume.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    try {
      await ctx.client.delete(PV, undefined, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  const controller = new Controller({
    name: 'local-path-provisioner',
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key) {
      if (key.startsWith(VOLUME_PREFIX)) return reclaim(key.slice(VOLUME_PREFIX.length));
      const claim = claims.get(key);
      if (claim) await provision(claim);
    },
  });
  return controller.watch(claims).watch(volumes, (volume) => [`${VOLUME_PREFIX}${volume.metadata.name ?? ''}`, ...claimKeys(volume)]);

  function claimKeys(volume: PersistentVolume): string[] {
    const ref = volume.spec?.claimRef;
    return ref ? [objectKey({ metadata: { namespace: ref.namespace, name: ref.name } } as PersistentVolume)] : [];
  }
}
