/**
 * virt-controller's VirtualMachineRestore controller (updateVMRestore in
 * pkg/storage/snapshot/restore.go): initialises the status, owns and
 * protects the restore, waits for the target VM to be stopped (or stops it,
 * or fails, per targetReadinessPolicy), marks the VM `restoreInProgress`,
 * creates a PVC per backed-up volume, writes the snapshot's VM spec into
 * the target (or creates it), then completes and releases the VM.
 */
import type { KubeObject } from '../../../api/types.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { writeStatus } from '../../../kube/status.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { objectKey, type Informer } from '../../../runtime/informer.js';
import { findCondition } from '../conditions.js';
import { PVC_REF, VM_REF } from '../constants.js';
import { errorMessage, statusCode } from '../errors.js';
import {
  hasLastRestoreAnnotation,
  restoredClaim,
  restoredClaimName,
  restoredVm,
  type VmRestore,
  type VolumeRestore,
} from './restore-target.js';
import { FINALIZER_VMRESTORE, progressCondition, setFinalizer, VMRESTORE_REF, withConditions, type Claim } from './snapshot-common.js';
import { newControllerRef } from '../../../kube/owners.js';
import type { SnapshotVm } from './snapshot-source.js';
import type { SnapshotContent, VmSnapshot } from './snapshot-status.js';
import type { VirtualMachineInstance } from '../types.js';

/** snapshotv1.DefaultGracePeriod: how long WaitGracePeriod waits for the target to stop. */
const GRACE_PERIOD_MS = 5 * 60_000;
const WAIT_GRACE_MESSAGE =
  'Waiting for target VM to be powered off. Please stop the restore target to proceed with restore, or the operation will fail after 5m0s';
const WAIT_EVENTUALLY_MESSAGE = 'Waiting for target VM to be powered off. Please stop the restore target to proceed with restore';
const VMI_EXISTS_MESSAGE = 'Restore target VMI still exists, please stop the restore target to proceed with restore';
const STOP_TARGET_MESSAGE = 'Automatically stopping restore target for restore operation';
const GRACE_EXCEEDED_MESSAGE = 'Restore target failed to be ready within 5m0s. Please power off the target VM before attempting restore';
const FAIL_IMMEDIATE_MESSAGE = 'Restore target VMI must be powered off before restore operation';

export interface RestoreControllerDeps {
  ctx: ComponentContext;
  restores: Informer<VmRestore>;
  snapshots: Informer<VmSnapshot>;
  contents: Informer<SnapshotContent>;
  vms: Informer<SnapshotVm>;
  vmis: Informer<VirtualMachineInstance>;
  pvcs: Informer<Claim>;
  storageClasses: Informer;
  recorder: EventRecorder;
}

/** A restore step that cannot go on: its message becomes the condition reason; `fatal` ones fail the restore. */
class RestoreError extends Error {
  constructor(
    message: string,
    readonly fatal = false,
  ) {
    super(message);
  }
}

const isFailed = (restore: VmRestore): boolean => findCondition(restore.status?.conditions, 'Failure') !== undefined;
export const isRestoreProgressing = (restore: VmRestore): boolean => restore.status?.complete !== true && !isFailed(restore);

export class RestoreController implements Component {
  readonly name = 'virt-controller/vmrestore';
  private readonly controller: Controller;

  constructor(private readonly deps: RestoreControllerDeps) {
    const { ctx, restores, vms, vmis, pvcs, snapshots } = deps;
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(restores);
    const restoresTargeting = (obj: KubeObject): string[] =>
      restores
        .listByNamespace(obj.metadata.namespace ?? '')
        .filter((r) => r.spec.target?.name === obj.metadata.name)
        .map(objectKey);
    this.controller.watch(vms, restoresTargeting);
    this.controller.watch(vmis, restoresTargeting);
    this.controller.watch(snapshots, (snapshot) =>
      restores
        .listByNamespace(snapshot.metadata.namespace ?? '')
        .filter((r) => r.spec.virtualMachineSnapshotName === snapshot.metadata.name)
        .map(objectKey),
    );
    this.controller.watch(pvcs, (pvc) =>
      pvc.metadata.annotations?.['restore.kubevirt.io/name']
        ? [`${pvc.metadata.namespace ?? ''}/${pvc.metadata.annotations['restore.kubevirt.io/name']}`]
        : [],
    );
  }

  start(): Promise<void> {
    return this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private now(): string {
    return rfc3339(this.deps.ctx.clock.now());
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { ctx, vms } = this.deps;
    let restore = this.deps.restores.get(key);
    if (!restore) return;
    if (!restore.status) {
      const reason = 'Initializing VirtualMachineRestore';
      await this.writeConditions(restore, { complete: false }, ['True', reason], ['False', reason]);
      return;
    }
    const namespace = restore.metadata.namespace ?? '';
    const target = vms.getByName(namespace, restore.spec.target.name ?? '');
    if (restore.metadata.deletionTimestamp) return this.handleDeletion(restore, target);
    if (!isRestoreProgressing(restore)) return;

    const ownerReferences =
      restore.metadata.ownerReferences?.length || !target ? restore.metadata.ownerReferences : [newControllerRef(target)];
    const finalizers = restore.metadata.finalizers?.includes(FINALIZER_VMRESTORE)
      ? restore.metadata.finalizers
      : [...(restore.metadata.finalizers ?? []), FINALIZER_VMRESTORE];
    if (ownerReferences !== restore.metadata.ownerReferences || finalizers !== restore.metadata.finalizers) {
      restore = await ctx.client.update<VmRestore>({ ...restore, metadata: { ...restore.metadata, ownerReferences, finalizers } });
    }

    try {
      if (target && this.deps.vmis.getByName(namespace, target.metadata.name ?? '')) return await this.targetNotReady(restore, target);
      return await this.restore(restore, target);
    } catch (err) {
      if (!(err instanceof RestoreError)) throw err;
      await this.reportError(restore, err.message, err.fatal);
      if (!err.fatal) throw err;
      return undefined;
    }
  }

  private async restore(restore: VmRestore, target: SnapshotVm | undefined): Promise<ReconcileResult> {
    const { ctx, recorder } = this.deps;
    const { snapshot, content } = this.snapshotOf(restore);
    const targetRestored = target !== undefined && hasLastRestoreAnnotation(restore, target);
    if (target && !targetRestored && snapshot.status?.sourceUID !== undefined && snapshot.status.sourceUID !== target.metadata.uid) {
      throw new RestoreError('restore source and restore target are different but restore target already exists');
    }
    if (target && !targetRestored) await this.markInProgress(restore, target);

    const restores = this.volumeRestores(restore, content);
    if (JSON.stringify(restores) !== JSON.stringify(restore.status?.restores ?? [])) {
      await this.writeConditions(
        restore,
        { restores: restores.length ? restores : undefined },
        ['True', 'Creating new PVCs'],
        ['False', 'Waiting for new PVCs'],
      );
      return;
    }
    if (await this.reconcileClaims(restore, restores, content)) {
      await this.writeConditions(restore, {}, ['True', 'Creating new PVCs'], ['False', 'Waiting for new PVCs']);
      return;
    }
    if (!targetRestored) {
      const snapshotVm = content.spec.source.virtualMachine as SnapshotVm;
      const vm = restoredVm(restore, snapshotVm, target);
      try {
        if (target) await ctx.client.update(vm);
        else await ctx.client.create(vm);
      } catch (err) {
        throw new RestoreError(
          statusCode(err) === undefined ? errorMessage(err) : `error patching VM ${vm.metadata.name ?? ''}: ${errorMessage(err)}`,
        );
      }
      await this.writeConditions(restore, {}, ['True', 'Updating target spec'], ['False', 'Waiting for target update']);
      return;
    }
    await this.releaseTarget(restore, target);
    void recorder.event(
      restore,
      'Normal',
      'VirtualMachineRestoreComplete',
      `Successfully completed VirtualMachineRestore ${restore.metadata.name ?? ''}`,
    );
    await this.writeConditions(
      restore,
      { complete: true, restoreTime: this.now() },
      ['False', 'Operation complete'],
      ['True', 'Operation complete'],
    );
    return;
  }

  /** The snapshot and its content, which must exist and be ready. */
  private snapshotOf(restore: VmRestore): { snapshot: VmSnapshot; content: SnapshotContent } {
    const namespace = restore.metadata.namespace ?? '';
    const key = `${namespace}/${restore.spec.virtualMachineSnapshotName}`;
    const snapshot = this.deps.snapshots.get(key);
    if (!snapshot) throw new RestoreError(`VMSnapshot ${key} does not exist`);
    if (snapshot.status?.phase === 'Failed') throw new RestoreError(`VMSnapshot ${key} failed and is invalid to use`);
    if (snapshot.status?.readyToUse !== true) throw new RestoreError(`VMSnapshot ${key} not ready`);
    const contentName = snapshot.status.virtualMachineSnapshotContentName;
    if (!contentName) throw new RestoreError(`no snapshot content name in ${key}`);
    const content = this.deps.contents.getByName(namespace, contentName);
    if (!content) throw new RestoreError(`VMSnapshotContent ${namespace}/${contentName} does not exist`);
    return { snapshot, content };
  }

  private volumeRestores(restore: VmRestore, content: SnapshotContent): VolumeRestore[] {
    return (content.spec.volumeBackups ?? []).map(
      (backup) =>
        restore.status?.restores?.find((r) => r.volumeName === backup.volumeName) ?? {
          volumeName: backup.volumeName,
          persistentVolumeClaim: restoredClaimName(restore, backup.volumeName, backup.persistentVolumeClaim.metadata.name ?? ''),
          volumeSnapshotName: backup.volumeSnapshotName ?? '',
        },
    );
  }

  /** Creates missing PVCs (replacing the old claim for InPlace); answers whether anything is still to wait for. */
  private async reconcileClaims(restore: VmRestore, restores: VolumeRestore[], content: SnapshotContent): Promise<boolean> {
    const { ctx, pvcs, storageClasses } = this.deps;
    const namespace = restore.metadata.namespace ?? '';
    let waiting = false;
    for (const volumeRestore of restores) {
      const pvc = pvcs.getByName(namespace, volumeRestore.persistentVolumeClaim);
      if (!pvc) {
        const backup = content.spec.volumeBackups!.find((b) => b.volumeName === volumeRestore.volumeName)!;
        try {
          await ctx.client.create(restoredClaim(restore, backup, volumeRestore, content.spec.source.virtualMachine!));
        } catch (err) {
          if (statusCode(err) !== 409) throw new RestoreError(errorMessage(err));
        }
        waiting = true;
      } else if (
        restore.spec.volumeRestorePolicy === 'InPlace' &&
        pvc.metadata.annotations?.['restore.kubevirt.io/name'] !== restore.metadata.name
      ) {
        await ctx.client.delete(PVC_REF, namespace, pvc.metadata.name ?? '');
        waiting = true;
      } else if ((pvc.status?.phase ?? 'Pending') === 'Pending') {
        const className = pvc.spec?.storageClassName;
        const storageClass = className ? storageClasses.getByName(undefined, className) : undefined;
        if (className && !storageClass) throw new RestoreError(`StorageClass ${className} does not exist`);
        const mode = (storageClass as { volumeBindingMode?: string } | undefined)?.volumeBindingMode;
        // A claim bound on first use is not waited for: the VM's pod will bind it.
        if (mode === undefined || mode === 'Immediate') waiting = true;
      } else if (pvc.status?.phase !== 'Bound') {
        throw new RestoreError(`PVC ${namespace}/${pvc.metadata.name ?? ''} in status "${pvc.status?.phase ?? ''}"`);
      }
    }
    return waiting;
  }

  private async markInProgress(restore: VmRestore, target: SnapshotVm): Promise<void> {
    const holder = target.status?.restoreInProgress;
    if (holder !== undefined && holder !== restore.metadata.name) throw new RestoreError(`vm restore ${holder} in progress`);
    if (holder === undefined)
      await this.deps.ctx.client.update(
        { ...target, status: { ...target.status, restoreInProgress: restore.metadata.name } },
        { subresource: 'status' },
      );
  }

  /** UpdateDoneRestore: clears the VM's `restoreInProgress` if this restore set it. */
  private async releaseTarget(restore: VmRestore, target: SnapshotVm): Promise<void> {
    const { restoreInProgress, ...status } = target.status ?? {};
    if (restoreInProgress !== restore.metadata.name) return;
    await this.deps.ctx.client.update({ ...target, status }, { subresource: 'status' });
  }

  /** handleVMRestoreTargetNotReady: the target still runs. */
  private async targetNotReady(restore: VmRestore, target: SnapshotVm): Promise<ReconcileResult> {
    const { ctx, recorder } = this.deps;
    switch (restore.spec.targetReadinessPolicy ?? 'WaitGracePeriod') {
      case 'StopTarget':
        void recorder.event(restore, 'Warning', 'RestoreTargetNotReady', STOP_TARGET_MESSAGE);
        await this.writeConditions(restore, {}, ['False', STOP_TARGET_MESSAGE], ['False', STOP_TARGET_MESSAGE]);
        await this.stopVm(target);
        return;
      case 'FailImmediate':
        throw new RestoreError(FAIL_IMMEDIATE_MESSAGE, true);
      case 'WaitEventually':
        void recorder.event(restore, 'Warning', 'RestoreTargetNotReady', VMI_EXISTS_MESSAGE);
        await this.writeConditions(restore, {}, ['False', WAIT_EVENTUALLY_MESSAGE], ['False', WAIT_EVENTUALLY_MESSAGE]);
        return;
      default: {
        const left = Date.parse(restore.metadata.creationTimestamp ?? '') + GRACE_PERIOD_MS - ctx.clock.nowMs();
        if (left < 0) throw new RestoreError(GRACE_EXCEEDED_MESSAGE, true);
        void recorder.event(restore, 'Warning', 'RestoreTargetNotReady', VMI_EXISTS_MESSAGE);
        await this.writeConditions(restore, {}, ['False', WAIT_GRACE_MESSAGE], ['False', WAIT_GRACE_MESSAGE]);
        return { requeueAfterMs: left + 1 };
      }
    }
  }

  /** What the VM stop API records for the target's run strategy (§4.3): Halted, or a Stop request for Manual. */
  private async stopVm(target: SnapshotVm): Promise<void> {
    const { client } = this.deps.ctx;
    const name = target.metadata.name ?? '';
    if (target.spec.running !== undefined)
      await client.patch(VM_REF, target.metadata.namespace, name, 'merge', { spec: { running: false } });
    else if (target.spec.runStrategy === 'Manual') {
      const requests = [
        ...(target.status?.stateChangeRequests ?? []),
        { action: 'Stop', uid: this.deps.vmis.getByName(target.metadata.namespace, name)?.metadata.uid },
      ];
      await client.patch(
        VM_REF,
        target.metadata.namespace,
        name,
        'merge',
        { status: { stateChangeRequests: requests } },
        { subresource: 'status' },
      );
    } else await client.patch(VM_REF, target.metadata.namespace, name, 'merge', { spec: { runStrategy: 'Halted' } });
  }

  private async handleDeletion(restore: VmRestore, target: SnapshotVm | undefined): Promise<void> {
    const { client } = this.deps.ctx;
    if (!restore.metadata.finalizers?.includes(FINALIZER_VMRESTORE)) return;
    if (target) await this.releaseTarget(restore, target);
    const reason = 'VM restore is deleting';
    const written = await this.writeConditions(restore, {}, ['False', reason], ['False', reason]);
    if (written) await setFinalizer(client, VMRESTORE_REF, written, FINALIZER_VMRESTORE, false);
  }

  /** doUpdateErrorWithFailure: the message as both reasons, Failure=True when fatal, a Warning event. */
  private async reportError(restore: VmRestore, message: string, fatal: boolean): Promise<void> {
    const failure = fatal ? [progressCondition('Failure', 'True', message, this.now())] : [];
    await this.writeConditions(restore, {}, ['False', message], ['False', message], ...failure);
    if (fatal) void this.deps.recorder.event(restore, 'Warning', 'Operation failed', `VirtualMachineRestore failed ${message}`);
    else
      void this.deps.recorder.event(restore, 'Warning', 'VirtualMachineRestoreError', `VirtualMachineRestore encountered error ${message}`);
  }

  private writeConditions(
    restore: VmRestore,
    fields: Partial<NonNullable<VmRestore['status']>>,
    progressing: ['True' | 'False', string],
    ready: ['True' | 'False', string],
    ...extra: ReturnType<typeof progressCondition>[]
  ): Promise<VmRestore | undefined> {
    const now = this.now();
    const conditions = withConditions(
      restore.status?.conditions,
      progressCondition('Progressing', progressing[0], progressing[1], now),
      progressCondition('Ready', ready[0], ready[1], now),
      ...extra,
    );
    // The JSON round trip drops fields set to undefined, as Go's omitempty would.
    const status = JSON.parse(JSON.stringify({ ...restore.status, ...fields, conditions })) as VmRestore['status'];
    return writeStatus(this.deps.ctx.client, restore, status);
  }
}
