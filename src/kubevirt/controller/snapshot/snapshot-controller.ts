/**
 * virt-controller's VirtualMachineSnapshot controller (updateVMSnapshot in
 * pkg/storage/snapshot/snapshot.go): protects the snapshot with a finalizer,
 * locks the source VM, creates the VirtualMachineSnapshotContent
 * `vmsnapshot-content-<uid>` with the VM copy and a backup entry per PVC a
 * VolumeSnapshotClass can snapshot, mirrors the content into the status,
 * unlocks the VM when done, fails past the deadline, and on deletion removes
 * the content unless it is ready and retained.
 */
import type { KubeObject } from '../../../api/types.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { writeStatus } from '../../../kube/status.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { objectKey, type Informer } from '../../../runtime/informer.js';
import { statusCode } from '../errors.js';
import {
  claimsOfVolumes,
  FINALIZER_VMSNAPSHOT,
  FINALIZER_VMSNAPSHOT_CONTENT,
  setFinalizer,
  VMSNAPSHOT_CONTENT_REF,
  VMSNAPSHOT_REF,
  type Claim,
} from './snapshot-common.js';
import { lockSource, sourceState, sourceVmCopy, unlockSource, type SnapshotVm } from './snapshot-source.js';
import {
  canUnlockSource,
  contentNameOf,
  isProgressing,
  isTerminating,
  msUntilDeadline,
  nextSnapshotStatus,
  shouldDeleteContent,
  type SnapshotContent,
  type VmSnapshot,
  type VolumeBackup,
} from './snapshot-status.js';
import type { VolumeSnapshotClasses } from './snapshot-volume-class.js';
import type { VirtualMachineInstance } from '../types.js';

/** KubeVirt retries taking the lock this often while something holds it back. */
const LOCK_RETRY_MS = 5000;

export interface SnapshotControllerDeps {
  ctx: ComponentContext;
  snapshots: Informer<VmSnapshot>;
  contents: Informer<SnapshotContent>;
  vms: Informer<SnapshotVm>;
  vmis: Informer<VirtualMachineInstance>;
  pvcs: Informer<Claim>;
  snapshotClasses: VolumeSnapshotClasses;
  recorder: EventRecorder;
}

export class SnapshotController implements Component {
  readonly name = 'virt-controller/vmsnapshot';
  private readonly controller: Controller;

  constructor(private readonly deps: SnapshotControllerDeps) {
    const { ctx, snapshots, contents, vms, vmis } = deps;
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(snapshots);
    const snapshotsOfVm = (obj: KubeObject): string[] =>
      snapshots
        .listByNamespace(obj.metadata.namespace ?? '')
        .filter((s) => s.spec.source?.name === obj.metadata.name)
        .map(objectKey);
    this.controller.watch(vms, snapshotsOfVm);
    this.controller.watch(vmis, snapshotsOfVm);
    this.controller.watch(contents, (content) =>
      content.spec.virtualMachineSnapshotName ? [`${content.metadata.namespace ?? ''}/${content.spec.virtualMachineSnapshotName}`] : [],
    );
  }

  start(): Promise<void> {
    return this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { ctx, snapshots, contents, vms, vmis } = this.deps;
    let snapshot = snapshots.get(key);
    if (!snapshot) return;
    const namespace = snapshot.metadata.namespace ?? '';
    const nowMs = ctx.clock.nowMs();
    const vm = snapshot.spec.source?.kind === 'VirtualMachine' ? vms.getByName(namespace, snapshot.spec.source.name ?? '') : undefined;
    const vmi = vm ? vmis.getByName(namespace, vm.metadata.name ?? '') : undefined;
    const content = contents.getByName(namespace, contentNameOf(snapshot));
    const terminating = isTerminating(snapshot, nowMs);
    if (!terminating) snapshot = await setFinalizer(ctx.client, VMSNAPSHOT_REF, snapshot, FINALIZER_VMSNAPSHOT, true);

    let state = vm ? sourceState(vm, vmi, snapshot.metadata.name ?? '') : undefined;
    let retry = false;
    let canRemoveFinalizer = true;
    if (snapshot.status && vm && state) {
      if (isProgressing(snapshot) && !terminating) {
        if (!state.locked) {
          const { locked, message } = await lockSource(
            { client: ctx.client, claim: (ns, name) => this.deps.pvcs.getByName(ns, name) },
            vm,
            state,
            snapshot.metadata.name ?? '',
          );
          state = { ...state, locked, lockMessage: message };
          retry = true;
        } else if (!content) {
          await this.createContent(snapshot, vm, vmi);
        }
        canRemoveFinalizer = false;
      } else {
        if (canUnlockSource(snapshot, content, nowMs)) {
          await unlockSource(ctx.client, vm, snapshot.metadata.name ?? '');
          state = { ...state, locked: false };
        }
        canRemoveFinalizer = !state.locked;
      }
    }

    if (terminating && content && shouldDeleteContent(snapshot, content)) {
      try {
        await ctx.client.delete(VMSNAPSHOT_CONTENT_REF, namespace, content.metadata.name ?? '');
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
    }

    const status = nextSnapshotStatus({
      snapshot,
      source: vm && state ? { uid: vm.metadata.uid ?? '', state } : undefined,
      content,
      nowMs,
      now: rfc3339(ctx.clock.now()),
    });
    const written = await writeStatus(ctx.client, snapshot, status);
    if (written && snapshot.metadata.deletionTimestamp && canRemoveFinalizer)
      await setFinalizer(ctx.client, VMSNAPSHOT_REF, written, FINALIZER_VMSNAPSHOT, false);

    if (retry) return { requeueAfterMs: LOCK_RETRY_MS };
    if (!written || !isProgressing(written)) return undefined;
    // Looking again at the deadline turns a snapshot that never completes into Failed.
    const left = msUntilDeadline(written, nowMs);
    return left !== undefined && left > 0 ? { requeueAfterMs: left + 1 } : undefined;
  }

  /** The content with a backup for every bound PVC volume a VolumeSnapshotClass can snapshot (createContent + getSnapshotPVC). */
  private async createContent(snapshot: VmSnapshot, vm: SnapshotVm, vmi: VirtualMachineInstance | undefined): Promise<void> {
    const { ctx, pvcs, snapshotClasses, recorder } = this.deps;
    const namespace = snapshot.metadata.namespace ?? '';
    const volumeBackups: VolumeBackup[] = [];
    for (const [volumeName, claimName] of claimsOfVolumes(vm.spec.template.spec)) {
      const pvc = pvcs.getByName(namespace, claimName);
      if (pvc?.status?.phase !== 'Bound' || !pvc.spec?.storageClassName) continue;
      if (!(await snapshotClasses.classFor(pvc.spec.storageClassName))) continue;
      const { managedFields: _dropped, ...metadata } = pvc.metadata as KubeObject['metadata'] & { managedFields?: unknown };
      volumeBackups.push({
        volumeName,
        persistentVolumeClaim: { metadata: structuredClone(metadata), spec: structuredClone(pvc.spec) },
        volumeSnapshotName: `vmsnapshot-${snapshot.metadata.uid ?? ''}-volume-${volumeName}`,
      });
    }
    const content: SnapshotContent = {
      apiVersion: VMSNAPSHOT_CONTENT_REF.apiVersion,
      kind: VMSNAPSHOT_CONTENT_REF.kind,
      metadata: { name: contentNameOf(snapshot), namespace, finalizers: [FINALIZER_VMSNAPSHOT_CONTENT] },
      spec: {
        virtualMachineSnapshotName: snapshot.metadata.name,
        source: { virtualMachine: await sourceVmCopy(ctx.client, vm, vmi) },
        ...(volumeBackups.length ? { volumeBackups } : {}),
      },
    };
    try {
      await ctx.client.create(content);
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
    void recorder.event(
      snapshot,
      'Normal',
      'SuccessfulVirtualMachineSnapshotContentCreate',
      `Successfully created VirtualMachineSnapshotContent ${content.metadata.name ?? ''}`,
    );
  }
}
