/**
 * virt-controller's VirtualMachineSnapshotContent controller
 * (updateVMSnapshotContent in pkg/storage/snapshot/snapshot.go): creates a
 * VolumeSnapshot per volume backup and sums them up into the content's
 * creationTime, readyToUse, volumeSnapshotStatus and error. No backups (a VM
 * without snapshottable PVCs) means created and ready at once. The
 * VolumeSnapshots become ready when the cluster's snapshot controller and CSI
 * driver have cut them.
 */
import type { KubeObject } from '../../../api/types.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { writeStatus } from '../../../kube/status.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import type { Informer } from '../../../runtime/informer.js';
import { statusCode } from '../errors.js';
import { FINALIZER_VMSNAPSHOT_CONTENT, setFinalizer, VOLUME_SNAPSHOT_REF, type SnapshotError } from './snapshot-common.js';
import { newControllerRef } from '../../../kube/owners.js';
import {
  shouldDeleteContent,
  type SnapshotContent,
  type VmSnapshot,
  type VolumeBackup,
  type VolumeSnapshotStatus,
} from './snapshot-status.js';
import type { VolumeSnapshotClasses } from './snapshot-volume-class.js';

interface VolumeSnapshot extends KubeObject {
  status?: { readyToUse?: boolean; creationTime?: string; error?: SnapshotError };
}

export interface SnapshotContentControllerDeps {
  ctx: ComponentContext;
  snapshots: Informer<VmSnapshot>;
  contents: Informer<SnapshotContent>;
  snapshotClasses: VolumeSnapshotClasses;
  recorder: EventRecorder;
}

export class SnapshotContentController implements Component {
  readonly name = 'virt-controller/vmsnapshotcontent';
  private readonly controller: Controller;
  private watchingVolumeSnapshots = false;

  constructor(private readonly deps: SnapshotContentControllerDeps) {
    const { ctx, snapshots, contents } = deps;
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(contents);
    this.controller.watch(snapshots, (snapshot) =>
      snapshot.status?.virtualMachineSnapshotContentName
        ? [`${snapshot.metadata.namespace ?? ''}/${snapshot.status.virtualMachineSnapshotContentName}`]
        : [],
    );
  }

  async start(): Promise<void> {
    await this.controller.start();
    await this.watchVolumeSnapshots();
  }

  /**
   * Once the snapshot.storage.k8s.io kinds are served, a VolumeSnapshot's progress brings its content back (KubeVirt
   * starts its VolumeSnapshot informer when the CRD exists); without them nothing is watched, so nothing waits on it.
   */
  private async watchVolumeSnapshots(): Promise<void> {
    if (this.watchingVolumeSnapshots || !(await this.volumeSnapshotsServed())) return;
    this.watchingVolumeSnapshots = true;
    this.controller.watch(this.deps.ctx.informers.informerFor(VOLUME_SNAPSHOT_REF), (volumeSnapshot) =>
      (volumeSnapshot.metadata.ownerReferences ?? [])
        .filter((ref) => ref.kind === 'VirtualMachineSnapshotContent')
        .map((ref) => `${volumeSnapshot.metadata.namespace ?? ''}/${ref.name}`),
    );
  }

  private async volumeSnapshotsServed(): Promise<boolean> {
    try {
      await this.deps.ctx.client.list(VOLUME_SNAPSHOT_REF, { limit: 1 });
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw err;
    }
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const { ctx, snapshots, contents } = this.deps;
    let content = contents.get(key);
    if (!content) return;
    const namespace = content.metadata.namespace ?? '';
    const snapshot = content.spec.virtualMachineSnapshotName
      ? snapshots.getByName(namespace, content.spec.virtualMachineSnapshotName)
      : undefined;
    const snapshotGone = !snapshot || snapshot.metadata.deletionTimestamp !== undefined || snapshot.status?.phase === 'Failed';
    if (snapshotGone) {
      content = await setFinalizer(
        ctx.client,
        { apiVersion: content.apiVersion, kind: content.kind },
        content,
        FINALIZER_VMSNAPSHOT_CONTENT,
        false,
      );
      if (snapshot && shouldDeleteContent(snapshot, content)) return;
    }
    if (content.metadata.deletionTimestamp) return;

    const created = content.status?.creationTime !== undefined;
    const statuses: VolumeSnapshotStatus[] = [];
    const missing: string[] = [];
    const skipped: string[] = [];
    for (const backup of content.spec.volumeBackups ?? []) {
      if (!backup.volumeSnapshotName) continue;
      let volumeSnapshot = await this.volumeSnapshot(namespace, backup.volumeSnapshotName);
      if (!volumeSnapshot) {
        if (created) {
          void this.deps.recorder.event(
            content,
            'Warning',
            'VolumeSnapshotMissing',
            `VolumeSnapshot ${backup.volumeSnapshotName} no longer exists`,
          );
          missing.push(backup.volumeSnapshotName);
          continue;
        }
        if (!snapshot || snapshot.metadata.deletionTimestamp) {
          skipped.push(backup.volumeSnapshotName);
          continue;
        }
        volumeSnapshot = await this.createVolumeSnapshot(content, backup);
      }
      statuses.push(
        JSON.parse(
          JSON.stringify({
            volumeSnapshotName: volumeSnapshot.metadata.name ?? '',
            creationTime: volumeSnapshot.status?.creationTime,
            readyToUse: volumeSnapshot.status?.readyToUse,
            error: volumeSnapshot.status?.error,
          }),
        ) as VolumeSnapshotStatus,
      );
    }

    let allCreated = true;
    let ready = true;
    let error = '';
    if (missing.length > 0) [allCreated, ready, error] = [false, false, `VolumeSnapshots (${missing.join(',')}) missing`];
    else if (skipped.length > 0)
      [allCreated, ready, error] = [false, false, `VolumeSnapshots (${skipped.join(',')}) skipped because vm snapshot is deleted`];
    else {
      allCreated = statuses.every((s) => s.creationTime !== undefined);
      ready = statuses.every((s) => s.readyToUse === true);
      const failed = statuses.find((s) => s.error?.message);
      if (failed) error = `VolumeSnapshot ${failed.volumeSnapshotName} error: ${failed.error?.message ?? ''}`;
    }
    const now = rfc3339(ctx.clock.now());
    const status: NonNullable<SnapshotContent['status']> = { ...(content.status ?? {}) };
    if (allCreated && status.creationTime === undefined) status.creationTime = now;
    if (error && !ready) {
      if (status.error?.message !== error) status.error = { time: now, message: error };
    } else if (!error) delete status.error;
    status.readyToUse = ready;
    if (statuses.length > 0) status.volumeSnapshotStatus = statuses;
    else delete status.volumeSnapshotStatus;
    await writeStatus(ctx.client, content, status);
  }

  private async volumeSnapshot(namespace: string, name: string): Promise<VolumeSnapshot | undefined> {
    try {
      return await this.deps.ctx.client.get<VolumeSnapshot>(VOLUME_SNAPSHOT_REF, namespace, name);
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  /** The VolumeSnapshot of one backup, for the cluster's snapshot controller to cut. */
  private async createVolumeSnapshot(content: SnapshotContent, backup: VolumeBackup): Promise<VolumeSnapshot> {
    const { ctx, snapshotClasses, recorder } = this.deps;
    const claimSpec = backup.persistentVolumeClaim.spec as { storageClassName?: string; resources?: { requests?: { storage?: string } } };
    const className = await snapshotClasses.classFor(claimSpec.storageClassName);
    if (!className)
      throw new Error(`${content.metadata.namespace ?? ''}/${backup.volumeName} VolumeSnapshot requested but no storage class`);
    const created = await ctx.client.create<VolumeSnapshot>({
      apiVersion: VOLUME_SNAPSHOT_REF.apiVersion,
      kind: VOLUME_SNAPSHOT_REF.kind,
      metadata: { name: backup.volumeSnapshotName, namespace: content.metadata.namespace, ownerReferences: [newControllerRef(content)] },
      spec: { source: { persistentVolumeClaimName: backup.persistentVolumeClaim.metadata.name }, volumeSnapshotClassName: className },
    } as VolumeSnapshot);
    void recorder.event(
      content,
      'Normal',
      'SuccessfulVolumeSnapshotCreate',
      `Successfully created VolumeSnapshot ${created.metadata.name ?? ''}`,
    );
    return created;
  }
}
