/**
 * kube-controller-manager's persistent volume controller (persistent-volume-binder,
 * pkg/controller/volume/persistentvolume): binds each claim to a volume, both ways
 * (PV claimRef and phase, PVC volumeName, bind annotations, phase, capacity), finds
 * an Available volume for an unbound claim, hands a claim of a class with a
 * provisioner to that provisioner (volume.kubernetes.io/storage-provisioner; for
 * WaitForFirstConsumer only once the scheduler has chosen a node) and releases a
 * volume whose claim is gone (Delete: the provisioner that made it deletes it).
 */
import type { KubeObject } from '../../api/types.js';
import { isConflict, isNotFound } from '../../kube/owners.js';
import { writeStatus } from '../../kube/status.js';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_PROVISIONED_BY,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  claimClassName,
  claimKey,
  NO_PROVISIONER,
  PV,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from '../../kube/volumes.js';
import { parseQuantity } from '../../kube/quantity.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { Controller } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';

const CLAIM_PREFIX = 'claim:';
const VOLUME_PREFIX = 'volume:';

export interface VolumeInformers {
  claims: Informer<PersistentVolumeClaim>;
  volumes: Informer<PersistentVolume>;
  classes: Informer<StorageClass>;
}

/** Whether the volume can serve the claim: same class and volume mode, the access modes and at least the size asked for. */
export function volumeFits(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  if ((volume.spec?.storageClassName ?? '') !== claimClassName(claim)) return false;
  if ((volume.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return false;
  const modes = volume.spec?.accessModes ?? [];
  if (!(claim.spec?.accessModes ?? []).every((mode) => modes.includes(mode))) return false;
  const wanted = parseQuantity(claim.spec?.resources?.requests?.storage ?? '0');
  return parseQuantity(volume.spec?.capacity?.storage ?? '0') >= wanted;
}

/** The volume's claimRef names this claim (by uid once the uid is set). */
export function claimRefMatches(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = volume.spec?.claimRef;
  if (!ref || ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

export function persistentVolumeController(ctx: ComponentContext, informers: VolumeInformers): Controller {
  const { claims, volumes, classes } = informers;
  const recorder = new EventRecorder(ctx.client, ctx.clock, { component: 'persistentvolume-controller' }, ctx.logger);
  const now = () => rfc3339(ctx.clock.now());

  async function setVolumePhase(volume: PersistentVolume, phase: string): Promise<void> {
    if (volume.status?.phase === phase) return;
    await writeStatus(ctx.client, volume, { ...volume.status, phase, lastPhaseTransitionTime: now() });
  }

  /** bindVolumeToClaim + bindClaimToVolume: the volume first (claimRef, Bound), then the claim (volumeName, annotations, Bound). */
  async function bind(claim: PersistentVolumeClaim, volume: PersistentVolume): Promise<void> {
    let bound = volume;
    if (!volume.spec?.claimRef?.uid) {
      const claimRef = {
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata.namespace,
        name: claim.metadata.name,
        uid: claim.metadata.uid,
        apiVersion: 'v1',
        resourceVersion: claim.metadata.resourceVersion,
      };
      const annotations = { ...volume.metadata.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' };
      bound = await ctx.client.update<PersistentVolume>({
        ...volume,
        metadata: { ...volume.metadata, annotations },
        spec: { ...volume.spec, claimRef },
      });
    }
    await setVolumePhase(bound, 'Bound');
    let current = claim;
    if (claim.spec?.volumeName !== volume.metadata.name || claim.metadata.annotations?.[ANN_BIND_COMPLETED] !== 'yes') {
      const annotations: Record<string, string> = { ...claim.metadata.annotations, [ANN_BIND_COMPLETED]: 'yes' };
      if (!claim.spec?.volumeName) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
      current = await ctx.client.update<PersistentVolumeClaim>({
        ...claim,
        metadata: { ...claim.metadata, annotations },
        spec: { ...claim.spec, volumeName: volume.metadata.name },
      });
    }
    const status = {
      ...current.status,
      phase: 'Bound',
      accessModes: volume.spec?.accessModes,
      capacity: volume.spec?.capacity,
    };
    await writeStatus(ctx.client, current, JSON.parse(JSON.stringify(status)));
  }

  /** An unbound claim: a volume that names it, else an Available one that fits, else its class's provisioner. */
  async function syncUnboundClaim(claim: PersistentVolumeClaim): Promise<void> {
    const all = volumes.list();
    const named = claim.spec?.volumeName ? volumes.getByName(undefined, claim.spec.volumeName) : undefined;
    if (claim.spec?.volumeName && (!named || (named.spec?.claimRef && !claimRefMatches(named, claim)))) return;
    const volume =
      named ??
      all.find((v) => claimRefMatches(v, claim)) ??
      all.find((v) => !v.spec?.claimRef && v.status?.phase === 'Available' && volumeFits(v, claim));
    const className = claimClassName(claim);
    const storageClass = className ? classes.getByName(undefined, className) : undefined;
    const waitsForConsumer = storageClass?.volumeBindingMode === 'WaitForFirstConsumer';
    const selectedNode = claim.metadata.annotations?.[ANN_SELECTED_NODE];
    // With WaitForFirstConsumer the scheduler picks the volume (and the node); the controller only binds what it chose.
    if (volume && (!waitsForConsumer || volume.spec?.claimRef || named)) return bind(claim, volume);
    if (!className) {
      void recorder.event(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return;
    }
    if (!storageClass) {
      void recorder.event(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      return;
    }
    if (waitsForConsumer && !selectedNode) {
      void recorder.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    if (storageClass.provisioner === NO_PROVISIONER) {
      void recorder.event(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return;
    }
    await handToProvisioner(claim, storageClass.provisioner);
  }

  async function handToProvisioner(claim: PersistentVolumeClaim, provisioner: string): Promise<void> {
    if (claim.metadata.annotations?.[ANN_STORAGE_PROVISIONER] !== provisioner) {
      const annotations = {
        ...claim.metadata.annotations,
        [ANN_BETA_STORAGE_PROVISIONER]: provisioner,
        [ANN_STORAGE_PROVISIONER]: provisioner,
      };
      await ctx.client.update<PersistentVolumeClaim>({ ...claim, metadata: { ...claim.metadata, annotations } });
    }
    const message =
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. ` +
      'If volume creation is delayed, please verify that the provisioner is running and correctly registered.';
    void recorder.event(claim, 'Normal', 'ExternalProvisioning', message);
  }

  async function syncClaim(key: string): Promise<void> {
    const claim = claims.get(key);
    if (!claim || claim.metadata.deletionTimestamp) return;
    const volume = claim.spec?.volumeName ? volumes.getByName(undefined, claim.spec.volumeName) : undefined;
    if (volume && claimRefMatches(volume, claim) && volume.spec?.claimRef?.uid) {
      if (claim.status?.phase !== 'Bound' || volume.status?.phase !== 'Bound') await bind(claim, volume);
      return;
    }
    if (claim.spec?.volumeName && !volume && claim.metadata.annotations?.[ANN_BIND_COMPLETED] === 'yes') {
      await writeStatus(ctx.client, claim, { ...claim.status, phase: 'Lost' });
      void recorder.event(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      return;
    }
    await syncUnboundClaim(claim);
  }

  /** A volume: Available without a claim, Released once its claim is gone (a static Delete volume is deleted here). */
  async function syncVolume(name: string): Promise<void> {
    const volume = volumes.getByName(undefined, name);
    if (!volume || volume.metadata.deletionTimestamp) return;
    const ref = volume.spec?.claimRef;
    if (!ref) return setVolumePhase(volume, 'Available');
    const claim = claims.getByName(ref.namespace, ref.name ?? '');
    if (claim && (!ref.uid || ref.uid === claim.metadata.uid)) {
      // Pre-bound or bound: the claim's sync finishes the binding.
      if (!claim.spec?.volumeName || claim.spec.volumeName === name) return;
    }
    if (!ref.uid) return setVolumePhase(volume, 'Available');
    await setVolumePhase(volume, 'Released');
    if (volume.spec?.persistentVolumeReclaimPolicy === 'Delete' && !volume.metadata.annotations?.[ANN_PROVISIONED_BY]) {
      try {
        await ctx.client.delete(PV, undefined, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  const controller = new Controller({
    name: 'persistentvolume-binder-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key) {
      try {
        if (key.startsWith(CLAIM_PREFIX)) await syncClaim(key.slice(CLAIM_PREFIX.length));
        else await syncVolume(key.slice(VOLUME_PREFIX.length));
      } catch (err) {
        // A stale cached copy: the newer one comes back through the informer.
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    },
  });
  const claimKeyOf = (claim: KubeObject) => `${CLAIM_PREFIX}${claimKey(claim.metadata.namespace, claim.metadata.name)}`;
  return controller
    .watch(claims, (claim) => [claimKeyOf(claim), ...(claim.spec?.volumeName ? [`${VOLUME_PREFIX}${claim.spec.volumeName}`] : [])])
    .watch(volumes, (volume) => {
      const ref = volume.spec?.claimRef;
      const keys = [`${VOLUME_PREFIX}${volume.metadata.name ?? ''}`];
      if (ref) keys.push(`${CLAIM_PREFIX}${claimKey(ref.namespace, ref.name)}`);
      else for (const claim of claims.list()) if (!claim.spec?.volumeName) keys.push(claimKeyOf(claim));
      return keys;
    })
    .watch(classes, () =>
      claims
        .list()
        .filter((claim) => !claim.spec?.volumeName)
        .map(claimKeyOf),
    );
}
