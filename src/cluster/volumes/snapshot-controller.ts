/**
 * The CSI snapshot machinery KubeVirt's CI adds to kind (kubernetes-csi/external-snapshotter):
 * the common snapshot-controller, which gives a VolumeSnapshot of a bound claim its class
 * (the default one of the volume's driver), a VolumeSnapshotContent `snapcontent-<snapshot uid>`
 * and the content's status mirrored back (boundVolumeSnapshotContentName, creationTime,
 * readyToUse, restoreSize), and deletes a content of Delete policy once its snapshot is gone;
 * and the csi-snapshotter sidecar, which cuts the snapshot at once (snapshotHandle,
 * creationTime, restoreSize, readyToUse). Every driver with a VolumeSnapshotClass is taken
 * to run its sidecar, kind's local-path (the default class's) included, which has none of its own.
 */
import type { KubeObject } from '../../api/types.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/owners.js';
import { parseQuantity } from '../../kube/quantity.js';
import { writeStatus } from '../../kube/status.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../kube/volumes.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { Controller } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';

export const VOLUME_SNAPSHOT = { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot' } as const;
export const VOLUME_SNAPSHOT_CONTENT = { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotContent' } as const;
export const VOLUME_SNAPSHOT_CLASS = { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass' } as const;
const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
const SNAPSHOT_PREFIX = 'snapshot:';
const CONTENT_PREFIX = 'content:';

interface VolumeSnapshot extends KubeObject {
  spec: { source: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string }; volumeSnapshotClassName?: string };
  status?: Record<string, unknown>;
}

interface VolumeSnapshotContent extends KubeObject {
  spec: {
    deletionPolicy: 'Delete' | 'Retain';
    driver: string;
    source: { volumeHandle?: string; snapshotHandle?: string };
    sourceVolumeMode?: string;
    volumeSnapshotClassName?: string;
    volumeSnapshotRef: { apiVersion?: string; kind?: string; namespace?: string; name?: string; uid?: string; resourceVersion?: string };
  };
  status?: { creationTime?: number; readyToUse?: boolean; restoreSize?: number; snapshotHandle?: string };
}

interface VolumeSnapshotClass extends KubeObject {
  driver: string;
  deletionPolicy: 'Delete' | 'Retain';
}

export interface SnapshotInformers {
  snapshots: Informer<VolumeSnapshot>;
  contents: Informer<VolumeSnapshotContent>;
  classes: Informer<VolumeSnapshotClass>;
  claims: Informer<PersistentVolumeClaim>;
  volumes: Informer<PersistentVolume>;
}

/** The driver that made a volume: its CSI driver, else the provisioner that annotated it. */
const driverOf = (volume: PersistentVolume): string | undefined =>
  (volume.spec as { csi?: { driver?: string } } | undefined)?.csi?.driver ??
  volume.metadata.annotations?.['pv.kubernetes.io/provisioned-by'];

export function snapshotController(ctx: ComponentContext, informers: SnapshotInformers): Controller {
  const { snapshots, contents, classes, claims, volumes } = informers;
  const recorder = new EventRecorder(ctx.client, ctx.clock, { component: 'snapshot-controller' }, ctx.logger);

  function classFor(snapshot: VolumeSnapshot, driver: string): VolumeSnapshotClass | undefined {
    const named = snapshot.spec.volumeSnapshotClassName;
    if (named) return classes.getByName(undefined, named);
    return classes.list().find((c) => c.driver === driver && c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
  }

  async function failSnapshot(snapshot: VolumeSnapshot, message: string): Promise<void> {
    const status = snapshot.status ?? {};
    if ((status.error as { message?: string } | undefined)?.message === message) return;
    await writeStatus(ctx.client, snapshot, { ...status, readyToUse: false, error: { message, time: rfc3339(ctx.clock.now()) } });
  }

  /** The content for a snapshot of a bound claim, made once its class is known. */
  async function syncSnapshot(key: string): Promise<void> {
    const snapshot = snapshots.get(key);
    if (!snapshot || snapshot.metadata.deletionTimestamp) return;
    const namespace = snapshot.metadata.namespace ?? '';
    const name = snapshot.metadata.name ?? '';
    const contentName = `snapcontent-${snapshot.metadata.uid ?? ''}`;
    const content = contents.getByName(undefined, contentName);
    if (content) return mirrorContent(snapshot, content);
    const claimName = snapshot.spec.source.persistentVolumeClaimName;
    if (!claimName) return;
    const claim = claims.getByName(namespace, claimName);
    const volume = claim?.spec?.volumeName ? volumes.getByName(undefined, claim.spec.volumeName) : undefined;
    if (!claim || !volume || claim.status?.phase !== 'Bound')
      return failSnapshot(snapshot, `the PVC ${claimName} is not yet bound to a PV, will not attempt to take a snapshot`);
    const driver = driverOf(volume) ?? '';
    const snapshotClass = classFor(snapshot, driver);
    if (!snapshotClass) return failSnapshot(snapshot, 'cannot find default snapshot class');
    if (!snapshot.spec.volumeSnapshotClassName) {
      // The controller writes the default class into the snapshot first, as snapshot-controller does.
      await ctx.client.update<VolumeSnapshot>({
        ...snapshot,
        spec: { ...snapshot.spec, volumeSnapshotClassName: snapshotClass.metadata.name },
      });
      return;
    }
    const created: VolumeSnapshotContent = {
      ...VOLUME_SNAPSHOT_CONTENT,
      metadata: { name: contentName },
      spec: {
        deletionPolicy: snapshotClass.deletionPolicy,
        driver: snapshotClass.driver,
        source: { volumeHandle: volume.metadata.name },
        sourceVolumeMode: claim.spec?.volumeMode ?? 'Filesystem',
        volumeSnapshotClassName: snapshotClass.metadata.name,
        volumeSnapshotRef: {
          apiVersion: VOLUME_SNAPSHOT.apiVersion,
          kind: VOLUME_SNAPSHOT.kind,
          namespace,
          name,
          uid: snapshot.metadata.uid,
          resourceVersion: snapshot.metadata.resourceVersion,
        },
      },
    };
    try {
      await ctx.client.create(created);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      return;
    }
    void recorder.event(
      snapshot,
      'Normal',
      'CreatingSnapshot',
      `Waiting for a snapshot ${namespace}/${name} to be created by the CSI driver.`,
    );
  }

  /** The snapshot's status from its content's (the content's times are Unix nanoseconds, its size bytes). */
  async function mirrorContent(snapshot: VolumeSnapshot, content: VolumeSnapshotContent): Promise<void> {
    const { creationTime, readyToUse, restoreSize } = content.status ?? {};
    const claimName = snapshot.spec.source.persistentVolumeClaimName ?? '';
    const claim = claims.getByName(snapshot.metadata.namespace, claimName);
    const status: Record<string, unknown> = { boundVolumeSnapshotContentName: content.metadata.name, readyToUse: readyToUse ?? false };
    if (creationTime !== undefined) status.creationTime = rfc3339(new Date(Math.floor(creationTime / 1e6)));
    if (restoreSize !== undefined) status.restoreSize = claim?.status?.capacity?.storage ?? String(restoreSize);
    const wasReady = snapshot.status?.readyToUse === true;
    await writeStatus(ctx.client, snapshot, status);
    if (readyToUse && !wasReady) {
      const ref = `${snapshot.metadata.namespace ?? ''}/${snapshot.metadata.name ?? ''}`;
      void recorder.event(snapshot, 'Normal', 'SnapshotCreated', `Snapshot ${ref} was successfully created by the CSI driver.`);
      void recorder.event(snapshot, 'Normal', 'SnapshotReady', `Snapshot ${ref} is ready to use.`);
    }
  }

  /** The sidecar's cut, and the Delete policy once the snapshot is gone. */
  async function syncContent(name: string): Promise<void> {
    const content = contents.getByName(undefined, name);
    if (!content || content.metadata.deletionTimestamp) return;
    const ref = content.spec.volumeSnapshotRef;
    const snapshot = snapshots.getByName(ref.namespace, ref.name ?? '');
    if ((!snapshot || snapshot.metadata.uid !== ref.uid) && content.spec.deletionPolicy === 'Delete') {
      await ctx.client.delete(VOLUME_SNAPSHOT_CONTENT, undefined, name);
      return;
    }
    if (content.status?.snapshotHandle) return;
    const volume = volumes.getByName(undefined, content.spec.source.volumeHandle ?? '');
    const status = {
      creationTime: ctx.clock.now().getTime() * 1e6,
      readyToUse: true,
      restoreSize: parseQuantity(volume?.spec?.capacity?.storage ?? '0'),
      snapshotHandle: `${content.spec.source.volumeHandle ?? ''}-${content.metadata.uid ?? ''}`,
    };
    await ctx.client.patch(VOLUME_SNAPSHOT_CONTENT, undefined, name, 'merge', { status }, { subresource: 'status' });
  }

  const controller = new Controller({
    name: 'snapshot-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key) {
      try {
        if (key.startsWith(SNAPSHOT_PREFIX)) await syncSnapshot(key.slice(SNAPSHOT_PREFIX.length));
        else await syncContent(key.slice(CONTENT_PREFIX.length));
      } catch (err) {
        // A stale cached copy or an object gone meanwhile: the informer brings the current state back.
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    },
  });
  const snapshotKey = (namespace: string | undefined, name: string | undefined) => `${SNAPSHOT_PREFIX}${namespace ?? ''}/${name ?? ''}`;
  const snapshotsOfClaim = (claim: KubeObject) =>
    snapshots
      .list()
      .filter((s) => s.metadata.namespace === claim.metadata.namespace && s.spec.source.persistentVolumeClaimName === claim.metadata.name)
      .map((s) => snapshotKey(s.metadata.namespace, s.metadata.name));
  return controller
    .watch(snapshots, (s) => [snapshotKey(s.metadata.namespace, s.metadata.name), `${CONTENT_PREFIX}snapcontent-${s.metadata.uid ?? ''}`])
    .watch(contents, (c) => [
      `${CONTENT_PREFIX}${c.metadata.name ?? ''}`,
      snapshotKey(c.spec.volumeSnapshotRef.namespace, c.spec.volumeSnapshotRef.name),
    ])
    .watch(classes, () =>
      snapshots
        .list()
        .filter((s) => !s.status?.boundVolumeSnapshotContentName)
        .map((s) => snapshotKey(s.metadata.namespace, s.metadata.name)),
    )
    .watch(claims, snapshotsOfClaim);
}
