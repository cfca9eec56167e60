/**
 * virt-controller's VirtualMachineClone controller
 * (pkg/virt-controller/watch/clone/clone.go): a VM source is snapshotted
 * into `tmp-snapshot-<clone uid>`, the ready snapshot is restored by
 * `tmp-restore-<clone uid>` into the target VM with the clone's patches, and
 * once the target exists and its PVCs are bound the temporary objects go.
 * Phases: "" → SnapshotInProgress → RestoreInProgress → CreatingTargetVM →
 * Succeeded (or Failed). A succeeded clone whose target VM is deleted is
 * deleted too.
 */
import { generateName } from '../../../api/registry/names.js';
import type { KubeObject } from '../../../api/types.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { writeStatus } from '../../../kube/status.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { objectKey, type Informer } from '../../../runtime/informer.js';
import { clonePatches, type CloneSpec } from './clone-patches.js';
import { errorMessage, statusCode } from '../errors.js';
import { isRestoreProgressing } from '../snapshot/restore-controller.js';
import type { VmRestore } from '../snapshot/restore-target.js';
import {
  claimsOfVolumes,
  progressCondition,
  VMCLONE_REF,
  VMRESTORE_REF,
  VMSNAPSHOT_REF,
  withConditions,
} from '../snapshot/snapshot-common.js';
import { newControllerRef } from '../../../kube/owners.js';
import type { SnapshotVm } from '../snapshot/snapshot-source.js';
import type { SnapshotContent, VmSnapshot } from '../snapshot/snapshot-status.js';
import type { Condition } from '../types.js';

type ClonePhase = '' | 'SnapshotInProgress' | 'RestoreInProgress' | 'CreatingTargetVM' | 'Succeeded' | 'Failed' | 'Unknown';

interface VmClone extends KubeObject {
  spec: CloneSpec;
  status?: { phase?: ClonePhase; snapshotName?: string; restoreName?: string; targetName?: string; conditions?: Condition[] };
}

interface VmWithVolumeStatuses extends SnapshotVm {
  status?: SnapshotVm['status'] & { volumeSnapshotStatuses?: Array<{ name: string; enabled: boolean }> };
}

/** What one sync found (clone.go's syncInfoType). */
interface SyncInfo {
  pending?: { event: string; reason: string };
  failing?: { event: string; reason: string };
  error?: string;
  snapshotName?: string;
  snapshotReady?: boolean;
  restoreName?: string;
  restoreReady?: boolean;
  targetVMName?: string;
  targetVMCreated?: boolean;
  pvcBound?: boolean;
}

export interface CloneControllerDeps {
  ctx: ComponentContext;
  clones: Informer<VmClone>;
  vms: Informer<VmWithVolumeStatuses>;
  snapshots: Informer<VmSnapshot>;
  contents: Informer<SnapshotContent>;
  restores: Informer<VmRestore>;
  pvcs: Informer<KubeObject & { status?: { phase?: string } }>;
  recorder: EventRecorder;
}

/** clone.go's ErrVolumeNotSnapshotable / ErrVolumeSnapshotSupportUnknown, per PVC-backed volume. */
function volumeSnapshotProblems(vm: VmWithVolumeStatuses): string | undefined {
  const statuses = vm.status?.volumeSnapshotStatuses ?? [];
  const problems = [...claimsOfVolumes(vm.spec.template.spec).keys()].flatMap((volume) => {
    const status = statuses.find((s) => s.name === volume);
    if (!status) return [`Virtual Machine volume ${volume} snapshot support unknown`];
    return status.enabled ? [] : [`Virtual Machine volume ${volume} does not support snapshots`];
  });
  return problems.length ? problems.join('\n') : undefined;
}

export class CloneController implements Component {
  readonly name = 'virt-controller/vmclone';
  private readonly controller: Controller;

  constructor(private readonly deps: CloneControllerDeps) {
    const { ctx, clones, vms, snapshots, restores, pvcs } = deps;
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(clones);
    const byOwner = (obj: KubeObject): string[] =>
      (obj.metadata.ownerReferences ?? [])
        .filter((r) => r.kind === VMCLONE_REF.kind)
        .map((r) => `${obj.metadata.namespace ?? ''}/${r.name}`);
    this.controller.watch(snapshots, byOwner);
    this.controller.watch(restores, byOwner);
    const clonesNaming = (obj: KubeObject): string[] =>
      clones
        .listByNamespace(obj.metadata.namespace ?? '')
        .filter(
          (c) =>
            c.spec.source?.name === obj.metadata.name ||
            c.spec.target?.name === obj.metadata.name ||
            c.status?.targetName === obj.metadata.name,
        )
        .map(objectKey);
    this.controller.watch(vms, clonesNaming);
    this.controller.watch(pvcs, (pvc) =>
      clones
        .listByNamespace(pvc.metadata.namespace ?? '')
        .filter((c) => c.status?.phase === 'Succeeded' && c.status.restoreName)
        .map(objectKey),
    );
  }

  start(): Promise<void> {
    return this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const { ctx, clones, vms } = this.deps;
    const clone = clones.get(key);
    if (!clone) return;
    const namespace = clone.metadata.namespace ?? '';
    if (clone.status?.phase === 'Succeeded' && !vms.getByName(namespace, clone.status.targetName ?? '')) {
      if (!clone.metadata.deletionTimestamp) await ctx.client.delete(VMCLONE_REF, namespace, clone.metadata.name ?? '');
      return;
    }
    const info = await this.sync(clone);
    await this.writeStatus(clone, info);
    if (info.error) throw new Error(info.error);
  }

  private async sync(clone: VmClone): Promise<SyncInfo> {
    const namespace = clone.metadata.namespace ?? '';
    const source = clone.spec.source ?? {};
    const fromVm = source.kind === 'VirtualMachine';
    const sourceObject = fromVm
      ? this.deps.vms.getByName(namespace, source.name ?? '')
      : this.deps.snapshots.getByName(namespace, source.name ?? '');
    if (!sourceObject)
      return {
        pending: { event: 'SourceDoesNotExist', reason: `Source doesnt exist: ${source.kind ?? ''} ${namespace}/${source.name ?? ''}` },
      };
    const snapshotName = fromVm ? (clone.status?.snapshotName ?? `tmp-snapshot-${clone.metadata.uid ?? ''}`) : (source.name ?? '');
    const info: SyncInfo = {};
    switch (clone.status?.phase ?? '') {
      case '':
      // biome-ignore lint/suspicious/noFallthroughSwitchClause: deliberate: one sync walks the phases in order, as KubeVirt's clone controller does
      case 'SnapshotInProgress': {
        if (fromVm && !clone.status?.snapshotName) return this.createSnapshot(clone, sourceObject as VmWithVolumeStatuses);
        const snapshot = this.deps.snapshots.getByName(namespace, snapshotName);
        if (!snapshot) return { error: `snapshot ${snapshotName} is not created yet for clone ${clone.metadata.name ?? ''}` };
        if (snapshot.status?.readyToUse !== true) return info;
        const invalid = this.invalidContent(snapshot);
        if (invalid) return { failing: { event: 'SnapshotContentInvalid', reason: invalid } };
        this.record(
          clone,
          'SnapshotReady',
          `snapshot ${snapshot.metadata.name ?? ''} for clone ${clone.metadata.name ?? ''} is ready to use`,
        );
        info.snapshotReady = true;
      }
      // biome-ignore lint/suspicious/noFallthroughSwitchClause: deliberate: one sync walks the phases in order, as KubeVirt's clone controller does
      case 'RestoreInProgress': {
        if (!clone.status?.restoreName) {
          const snapshot = this.deps.snapshots.getByName(namespace, snapshotName);
          if (!snapshot)
            return { ...info, failing: { event: 'SnapshotDeleted', reason: `snapshot ${snapshotName} does not exist anymore` } };
          return { ...info, ...(await this.createRestore(clone, snapshot, snapshotName)) };
        }
        const restore = this.deps.restores.getByName(namespace, clone.status.restoreName);
        if (!restore)
          return { ...info, error: `restore ${clone.status.restoreName} is not created yet for clone ${clone.metadata.name ?? ''}` };
        if (isRestoreProgressing(restore)) return info;
        this.record(clone, 'RestoreReady', `restore ${restore.metadata.name ?? ''} for clone ${clone.metadata.name ?? ''} is ready to use`);
        Object.assign(info, { restoreReady: true, targetVMName: restore.spec.target.name });
      }
      // biome-ignore lint/suspicious/noFallthroughSwitchClause: deliberate: one sync walks the phases in order, as KubeVirt's clone controller does
      case 'CreatingTargetVM': {
        const targetName = clone.spec.target?.name ?? '';
        if (!this.deps.vms.getByName(namespace, targetName))
          return { ...info, error: `target VM ${targetName} is not created yet for clone ${clone.metadata.name ?? ''}` };
        this.record(clone, 'TargetVMCreated', `created target VM ${targetName} for clone ${clone.metadata.name ?? ''}`);
        info.targetVMCreated = true;
      }
      case 'Succeeded':
        if (clone.status?.restoreName) return { ...info, ...(await this.cleanUp(clone, fromVm)) };
        return info;
      default:
        return info;
    }
  }

  private async createSnapshot(clone: VmClone, vm: VmWithVolumeStatuses): Promise<SyncInfo> {
    const problems = volumeSnapshotProblems(vm);
    if (problems) return { pending: { event: 'VMVolumeSnapshotsInvalid', reason: problems } };
    const snapshot = {
      apiVersion: VMSNAPSHOT_REF.apiVersion,
      kind: VMSNAPSHOT_REF.kind,
      metadata: {
        name: `tmp-snapshot-${clone.metadata.uid ?? ''}`,
        namespace: vm.metadata.namespace,
        ownerReferences: [newControllerRef(clone)],
      },
      spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: vm.metadata.name } },
    };
    try {
      await this.deps.ctx.client.create(snapshot);
    } catch (err) {
      if (statusCode(err) !== 409)
        return { error: `failed creating snapshot ${snapshot.metadata.name} for clone ${clone.metadata.name ?? ''}: ${errorMessage(err)}` };
      return { snapshotName: snapshot.metadata.name };
    }
    this.record(clone, 'SnapshotCreated', `created snapshot ${snapshot.metadata.name} for clone ${clone.metadata.name ?? ''}`);
    return { snapshotName: snapshot.metadata.name };
  }

  /** verifySnapshotContent: every PVC-backed volume of the kept VM must have a backup. */
  private invalidContent(snapshot: VmSnapshot): string | undefined {
    const contentName = snapshot.status?.virtualMachineSnapshotContentName ?? '';
    const content = this.deps.contents.getByName(snapshot.metadata.namespace, contentName);
    if (!content) return `snapshot content ${contentName} in namespace ${snapshot.metadata.namespace ?? ''} does not exist`;
    const backedUp = new Set((content.spec.volumeBackups ?? []).map((b) => b.volumeName));
    const missing = [...claimsOfVolumes(content.spec.source.virtualMachine?.spec?.template?.spec).keys()].filter(
      (volume) => !backedUp.has(volume),
    );
    return missing.length
      ? missing.map((volume) => `volume ${volume} is not backed up in snapshot ${content.spec.virtualMachineSnapshotName ?? ''}`).join('\n')
      : undefined;
  }

  private async createRestore(clone: VmClone, snapshot: VmSnapshot, snapshotName: string): Promise<SyncInfo> {
    const { ctx, contents, recorder } = this.deps;
    const content = contents.getByName(snapshot.metadata.namespace, snapshot.status?.virtualMachineSnapshotContentName ?? '');
    const sourceVm = content?.spec.source.virtualMachine as SnapshotVm | undefined;
    if (!sourceVm) return { error: `cannot get VM manifest from snapshot: snapshot content of ${snapshotName} does not exist` };
    const restore = {
      apiVersion: VMRESTORE_REF.apiVersion,
      kind: VMRESTORE_REF.kind,
      metadata: {
        name: `tmp-restore-${clone.metadata.uid ?? ''}`,
        namespace: clone.metadata.namespace,
        ownerReferences: [newControllerRef(clone)],
      },
      spec: {
        target: {
          apiGroup: 'kubevirt.io',
          kind: 'VirtualMachine',
          ...clone.spec.target,
          name: clone.spec.target?.name || generateName(`${sourceVm.metadata.name ?? ''}-clone-`, ctx.random),
        },
        virtualMachineSnapshotName: snapshotName,
        patches: clonePatches(sourceVm, clone.spec),
        ...(clone.spec.volumeNamePolicy ? { volumeRestorePolicy: clone.spec.volumeNamePolicy } : {}),
      },
    };
    try {
      await ctx.client.create(restore);
    } catch (err) {
      if (statusCode(err) === 409) return { restoreName: restore.metadata.name };
      const message = `failed creating restore ${restore.metadata.name} for clone ${clone.metadata.name ?? ''}: ${errorMessage(err)}`;
      void recorder.event(clone, 'Warning', 'RestoreCreationFailed', message);
      return { error: message };
    }
    this.record(clone, 'RestoreCreated', `created restore ${restore.metadata.name} for clone ${clone.metadata.name ?? ''}`);
    return { restoreName: restore.metadata.name };
  }

  /** verifyPVCBound, then the temporary restore and (for VM sources) snapshot are deleted. */
  private async cleanUp(clone: VmClone, fromVm: boolean): Promise<SyncInfo> {
    const { ctx, restores, pvcs } = this.deps;
    const namespace = clone.metadata.namespace ?? '';
    const restoreName = clone.status?.restoreName ?? '';
    const restore = restores.getByName(namespace, restoreName);
    if (!restore) return { error: `restore ${restoreName} is not created yet for clone ${clone.metadata.name ?? ''}` };
    for (const volume of restore.status?.restores ?? []) {
      const pvc = pvcs.getByName(namespace, volume.persistentVolumeClaim);
      if (!pvc) return { error: `PVC ${volume.persistentVolumeClaim} is not created yet for clone ${clone.metadata.name ?? ''}` };
      if (pvc.status?.phase !== 'Bound') return {};
    }
    this.record(clone, 'PVCBound', `all PVC for clone ${clone.metadata.name ?? ''} are bound`);
    const remove = async (ref: typeof VMRESTORE_REF, name: string): Promise<string | undefined> => {
      try {
        await ctx.client.delete(ref, namespace, name);
      } catch (err) {
        if (statusCode(err) !== 404)
          return `cannot clean up ${ref === VMRESTORE_REF ? 'restore' : 'snapshot'} ${name} for clone ${clone.metadata.name ?? ''}`;
      }
      return undefined;
    };
    const error =
      (await remove(VMRESTORE_REF, restoreName)) ?? (fromVm ? await remove(VMSNAPSHOT_REF, clone.status?.snapshotName ?? '') : undefined);
    return error ? { pvcBound: true, error } : { pvcBound: true };
  }

  private record(clone: VmClone, reason: string, message: string): void {
    void this.deps.recorder.event(clone, 'Normal', reason, message);
  }

  /** updateStatus in clone.go: conditions by outcome, then the phase walk. */
  private async writeStatus(clone: VmClone, info: SyncInfo): Promise<void> {
    const now = rfc3339(this.deps.ctx.clock.now());
    const status = structuredClone(clone.status ?? {});
    const conditions = (progressing: ['True' | 'False', string], ready: ['True' | 'False', string]): void => {
      status.conditions = withConditions(
        status.conditions,
        progressCondition('Progressing', progressing[0], progressing[1], now),
        progressCondition('Ready', ready[0], ready[1], now),
      );
    };
    if (info.pending) {
      this.record(clone, info.pending.event, info.pending.reason);
      conditions(['False', 'Pending'], ['False', info.pending.reason]);
    } else if (info.failing) {
      this.record(clone, info.failing.event, info.failing.reason);
      status.phase = 'Failed';
      conditions(['False', 'Failed'], ['False', info.failing.reason]);
    } else conditions(['True', 'Still processing'], ['False', 'Still processing']);
    const phase = (): ClonePhase => status.phase ?? '';
    if (phase() === '' && !info.pending) status.phase = 'SnapshotInProgress';
    if (phase() === 'SnapshotInProgress') {
      if (info.snapshotName) status.snapshotName = info.snapshotName;
      if (info.snapshotReady) status.phase = 'RestoreInProgress';
    }
    if (phase() === 'RestoreInProgress') {
      if (info.restoreName) status.restoreName = info.restoreName;
      if (info.restoreReady) status.phase = 'CreatingTargetVM';
    }
    if (phase() === 'CreatingTargetVM') {
      if (info.targetVMName) status.targetName = info.targetVMName;
      if (info.targetVMCreated) status.phase = 'Succeeded';
    }
    if (phase() === 'Succeeded') conditions(['False', 'Ready'], ['True', 'Ready']);
    if (info.pvcBound) {
      delete status.snapshotName;
      delete status.restoreName;
    }
    await writeStatus(this.deps.ctx.client, clone, status);
  }
}
