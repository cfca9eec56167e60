/**
 * virt-controller's VM controller: carries out the run strategy (create the
 * VMI named after the VM, delete it, restart it), keeps the finalizers, and
 * writes the VM status after every sync. Expectations make sure a VMI it has
 * just created or deleted is seen before it acts on the VM again.
 */
import type { KubeObject } from '../../../api/types.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { objectKey, type HandlerRegistration, type Informer } from '../../../runtime/informer.js';
import { hasCondition } from '../conditions.js';
import { CONTROLLER_REVISION_REF, FINALIZER_ORPHAN, FINALIZER_VM_CONTROLLER, PVC_REF, VM_REF, VMI_REF } from '../constants.js';
import { errorMessage, statusCode } from '../errors.js';
import { Expectations } from '../../../runtime/expectations.js';
import { jsonEqual } from '../../../kube/json-equal.js';
import { createsDataVolumes, handleDataVolumes } from './data-volumes.js';
import { decideRunAction, hasStartPausedRequest, runStrategyOf, type RunAction } from './run-strategy.js';
import { isFinal, type VirtualMachine, type VirtualMachineInstance } from '../types.js';
import { vmiFromVm } from './vmi-from-vm.js';
import { createStartRevision, indexRevisionsByVm } from './start-revisions.js';
import { clientLookup, expandIntoVmi, syncInstancetypeRefs } from '../instancetype/vm-instancetype.js';
import { withObservedApiVersion } from '../vmi/vmi-controller.js';
import type { SyncError } from '../vmi/vmi-status.js';
import { nextVmStatus, templateClaims } from './vm-status.js';
import type { DataVolumeCache } from '../datavolume/datavolume-cache.js';
import type { ClusterConfig } from '../cluster-config.js';
import { declarativeVolumesPatch } from '../hotplug/declarative.js';
import { MEMORY_DUMP_ANNOTATION, memoryDumpActions, nextMemoryDumpRequest } from '../hotplug/memory-dump.js';
import { vmControllerRef } from './vm-owner-reference.js';

export interface VmControllerDeps {
  ctx: ComponentContext;
  vms: Informer<VirtualMachine>;
  vmis: Informer<VirtualMachineInstance>;
  pvcs: Informer;
  /** ControllerRevisions: the VMs' start revisions. */
  revisions: Informer;
  /** CDI's DataVolumes, once CDI is installed. */
  dataVolumes: DataVolumeCache;
  recorder: EventRecorder;
  config: () => ClusterConfig;
}

/** The VM a VMI belongs to, by its controller reference. */
const ownerVmKey = (vmi: VirtualMachineInstance): string | undefined => {
  const ref = vmi.metadata.ownerReferences?.find((r) => r.controller);
  return ref?.kind === 'VirtualMachine' ? `${vmi.metadata.namespace ?? ''}/${ref.name}` : undefined;
};

/** JSON patch replacing the finalizer list, guarded by a test of the list it was computed from. */
const finalizersPatch = (obj: KubeObject, finalizers: string[]): unknown[] =>
  obj.metadata.finalizers
    ? [
        { op: 'test', path: '/metadata/finalizers', value: obj.metadata.finalizers },
        { op: 'replace', path: '/metadata/finalizers', value: finalizers },
      ]
    : [{ op: 'add', path: '/metadata/finalizers', value: finalizers }];

/**
 * What this sync asked of the API. The status written at its end is computed
 * from the VMI as the sync began, so it must count these as expected even
 * when the informer has already seen them happen (the in-process client's
 * informers can be faster than the end of the sync).
 */
interface Issued {
  creation?: boolean;
  deletion?: boolean;
}

export class VmController implements Component {
  readonly name = 'virt-controller/vm';
  private readonly controller: Controller;
  private readonly expectations: Expectations;
  private registration: HandlerRegistration | undefined;

  constructor(private readonly deps: VmControllerDeps) {
    const { ctx, vms, vmis, pvcs, revisions } = deps;
    this.expectations = new Expectations(ctx.clock);
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(vms);
    // A VMI concerns the VM that controls it, or (an orphan) the VM of the same name that may adopt it.
    this.controller.watch(vmis, (vmi) => [ownerVmKey(vmi) ?? objectKey(vmi)]);
    // A claim, or a DataVolume, concerns the VMs whose template has a volume of its name.
    const vmsUsing = (claim: KubeObject) =>
      vms
        .listByNamespace(claim.metadata.namespace ?? '')
        .filter((vm) => templateClaims(vm).includes(claim.metadata.name ?? ''))
        .map(objectKey);
    this.controller.watch(pvcs, vmsUsing);
    // Like virt-controller, syncs wait for the revision cache to sync (a start reads it); no revision change concerns a VM.
    indexRevisionsByVm(revisions);
    this.controller.watch(revisions, () => []);
    deps.dataVolumes.onServed((informer) => this.controller.watch(informer, vmsUsing));
  }

  async start(): Promise<void> {
    const observe = (vmi: VirtualMachineInstance, gone: boolean): void => {
      const vmKey = ownerVmKey(vmi);
      if (!vmKey) return;
      if (gone || vmi.metadata.deletionTimestamp) this.expectations.deletionObserved(vmKey, objectKey(vmi));
      else this.expectations.creationObserved(vmKey);
    };
    this.registration = this.deps.vmis.addEventHandler({
      onAdd: (vmi) => observe(vmi, false),
      onUpdate: (_, vmi) => vmi.metadata.deletionTimestamp && observe(vmi, false),
      onDelete: (vmi) => observe(vmi, true),
    });
    await this.controller.start();
  }

  async stop(): Promise<void> {
    this.registration?.remove();
    await this.controller.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { ctx } = this.deps;
    const cached = this.deps.vms.get(key);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    const annotated = withObservedApiVersion(cached);
    if (annotated) {
      await ctx.client.update(annotated);
      return;
    }
    let vm = cached;
    const vmi = await this.claimedVmi(vm);
    let syncError: SyncError | undefined;
    let result: ReconcileResult | undefined;
    let issued: Issued = {};
    if (this.expectations.satisfied(key)) {
      if (vm.metadata.deletionTimestamp) {
        if (!vmi || vm.metadata.finalizers?.includes(FINALIZER_ORPHAN)) vm = await this.setFinalizer(vm, false);
        else ({ syncError, issued } = await this.stopVmi(key, vm, vmi));
      } else {
        vm = await this.setFinalizer(vm, true);
        // Instancetype and preference are pinned first: a VM whose objects are missing does not start.
        ({ vm, syncError } = await syncInstancetypeRefs(ctx.client, vm, this.deps.recorder));
        // DataVolumes come first, even for a Halted VM; any other strategy waits until they are ready.
        const dataVolumes = syncError
          ? { ready: false }
          : createsDataVolumes(vm)
            ? await handleDataVolumes(ctx.client, this.deps.recorder, vm)
            : { ready: true };
        syncError ??= dataVolumes.syncError;
        if (!syncError && (dataVolumes.ready || runStrategyOf(vm) === 'Halted')) {
          const action = decideRunAction(vm, vmi, ctx.clock.nowMs());
          ({ vm, syncError, result, issued = {} } = await this.carryOut(key, action, vm, vmi));
        }
        // A VMI being stopped keeps its generation: patching it while it shuts down would race the graceful stop.
        if (!issued.deletion) await this.bumpGenerationAnnotation(vm, vmi);
        if (!syncError && !issued.deletion) syncError = await this.syncHotplugVolumes(vm, vmi);
        if (!syncError && !issued.deletion) ({ vm, syncError } = await this.syncMemoryDump(vm, vmi));
      }
    }
    await this.writeStatus(key, vm, vmi, syncError, issued);
    if (vmi && isFinal(vmi) && vmi.metadata.finalizers?.includes(FINALIZER_VM_CONTROLLER)) {
      // Status from the final VMI is recorded on the VM: it may go now.
      await ctx.client.patch(
        VMI_REF,
        vmi.metadata.namespace,
        vmi.metadata.name ?? '',
        'json',
        finalizersPatch(
          vmi,
          vmi.metadata.finalizers.filter((f) => f !== FINALIZER_VM_CONTROLLER),
        ),
      );
    }
    if (syncError?.requeue) throw new Error(syncError.message);
    return result;
  }

  private async carryOut(
    key: string,
    action: RunAction,
    vm: VirtualMachine,
    vmi: VirtualMachineInstance | undefined,
  ): Promise<{ vm: VirtualMachine; syncError?: SyncError; result?: ReconcileResult; issued?: Issued }> {
    switch (action.kind) {
      case 'start':
        return { vm, ...(await this.startVmi(key, vm)) };
      case 'stop': {
        const { syncError, issued } = vmi ? await this.stopVmi(key, vm, vmi) : { syncError: undefined, issued: {} };
        if (syncError || !action.thenRequestStart) return { vm, syncError, issued };
        const requests = [...(vm.status?.stateChangeRequests ?? []), { action: 'Start' }];
        const patched = await this.deps.ctx.client.patch<VirtualMachine>(
          VM_REF,
          vm.metadata.namespace,
          vm.metadata.name ?? '',
          'json',
          [{ op: 'add', path: '/status/stateChangeRequests', value: requests }],
          { subresource: 'status' },
        );
        return { vm: patched, issued };
      }
      case 'switchToAlways': {
        const spec = vm.spec.runStrategy ? { runStrategy: 'Always' } : { running: true };
        await this.deps.ctx.client.patch(VM_REF, vm.metadata.namespace, vm.metadata.name ?? '', 'merge', { spec });
        // KubeVirt reports this path as a start failure even when the update succeeded.
        return { vm, syncError: { reason: 'FailedCreate', message: 'Failure while starting VMI: <nil>', requeue: true } };
      }
      case 'wait':
        return { vm, result: { requeueAfterMs: action.ms } };
      default:
        return { vm };
    }
  }

  /** Declarative hotplug: the running VMI's hotplug volumes follow the template (a failure is a HotPlugVolumeError). */
  private async syncHotplugVolumes(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): Promise<SyncError | undefined> {
    if (!this.deps.config().declarativeHotplug) return undefined;
    const patch = declarativeVolumesPatch(vm, vmi);
    if (!patch || !vmi) return undefined;
    try {
      await this.deps.ctx.client.patch(VMI_REF, vmi.metadata.namespace, vmi.metadata.name ?? '', 'json', patch);
      return undefined;
    } catch (err) {
      const message = `Error encountered while handling declarative hotplug volumes: ${errorMessage(err)}`;
      return { reason: 'HotPlugVolumeError', message, requeue: true };
    }
  }

  /** A memory dump request (memorydump.HandleRequest): the dump volume on the template and the VMI, the claim annotated. */
  private async syncMemoryDump(
    vm: VirtualMachine,
    vmi: VirtualMachineInstance | undefined,
  ): Promise<{ vm: VirtualMachine; syncError?: SyncError }> {
    const { client } = this.deps.ctx;
    const actions = memoryDumpActions(vm, vmi);
    const listPatch = (path: string, before: unknown[] | undefined, after: unknown[]) => [
      { op: 'test', path, value: before ?? null },
      { op: before?.length ? 'replace' : 'add', path, value: after },
    ];
    try {
      if (actions.claimAnnotation) await this.annotateDumpClaim(vm, actions.claimAnnotation.claimName, actions.claimAnnotation.value);
      if (actions.vmiVolumes && vmi) {
        const patch = listPatch('/spec/volumes', vmi.spec.volumes, actions.vmiVolumes);
        await client.patch(VMI_REF, vmi.metadata.namespace, vmi.metadata.name ?? '', 'json', patch);
      }
      if (actions.templateVolumes) {
        const patch = listPatch('/spec/template/spec/volumes', vm.spec.template.spec.volumes, actions.templateVolumes);
        vm = await client.patch<VirtualMachine>(VM_REF, vm.metadata.namespace, vm.metadata.name ?? '', 'json', patch);
      }
      return { vm };
    } catch (err) {
      const message = `Error encountered while handling memory dump request: ${errorMessage(err)}`;
      return { vm, syncError: { reason: 'MemoryDumpError', message, requeue: true } };
    }
  }

  /** patchMemoryDumpPVCAnnotation: a failure to annotate is only logged. */
  private async annotateDumpClaim(vm: VirtualMachine, claimName: string, value: string): Promise<void> {
    const claim = this.deps.pvcs.getByName(vm.metadata.namespace, claimName);
    if (!claim) throw new Error(`Error when trying to update memory dump annotation, pvc ${claimName} not found`);
    const annotations = claim.metadata.annotations ?? {};
    if (annotations[MEMORY_DUMP_ANNOTATION] === value) return;
    const patch =
      Object.keys(annotations).length === 0
        ? [{ op: 'add', path: '/metadata/annotations', value: { [MEMORY_DUMP_ANNOTATION]: value } }]
        : [{ op: 'replace', path: '/metadata/annotations/kubevirt.io~1memory-dump', value }];
    await this.deps.ctx.client.patch(PVC_REF, claim.metadata.namespace, claimName, 'json', patch).catch((err: unknown) => {
      this.deps.ctx.logger.error(`failed to annotate memory dump PVC ${claim.metadata.namespace ?? ''}/${claimName}`, err);
    });
  }

  /** The VMI named like the VM if the VM controls it; an orphan of that name is adopted first. */
  private async claimedVmi(vm: VirtualMachine): Promise<VirtualMachineInstance | undefined> {
    const vmi = this.deps.vmis.getByName(vm.metadata.namespace, vm.metadata.name ?? '');
    if (!vmi) return undefined;
    const controllerRef = vmi.metadata.ownerReferences?.find((r) => r.controller);
    if (controllerRef) return controllerRef.uid === vm.metadata.uid ? vmi : undefined;
    if (vmi.metadata.deletionTimestamp || vm.metadata.deletionTimestamp) return undefined;
    const ownerReferences = [...(vmi.metadata.ownerReferences ?? []), vmControllerRef(vm)];
    return this.deps.ctx.client.patch<VirtualMachineInstance>(VMI_REF, vmi.metadata.namespace, vmi.metadata.name ?? '', 'merge', {
      metadata: { ownerReferences, resourceVersion: vmi.metadata.resourceVersion },
    });
  }

  private async setFinalizer(vm: VirtualMachine, present: boolean): Promise<VirtualMachine> {
    const finalizers = vm.metadata.finalizers ?? [];
    if (finalizers.includes(FINALIZER_VM_CONTROLLER) === present) return vm;
    const next = present ? [...finalizers, FINALIZER_VM_CONTROLLER] : finalizers.filter((f) => f !== FINALIZER_VM_CONTROLLER);
    return this.deps.ctx.client.patch<VirtualMachine>(
      VM_REF,
      vm.metadata.namespace,
      vm.metadata.name ?? '',
      'json',
      finalizersPatch(vm, next),
    );
  }

  private async startVmi(key: string, vm: VirtualMachine): Promise<{ syncError?: SyncError; issued: Issued }> {
    const { ctx, recorder } = this.deps;
    if (hasCondition(vm.status?.conditions, 'ManualRecoveryRequired', 'True')) return { issued: {} };
    const vmi = vmiFromVm(vm, hasStartPausedRequest(vm));
    try {
      await expandIntoVmi(clientLookup(ctx.client), vm, vmi);
      vmi.status = { virtualMachineRevisionName: await createStartRevision(ctx.client, this.deps.revisions, vm) };
      this.expectations.expectCreations(key);
      const created = await ctx.client.create(vmi);
      void recorder.event(
        vm,
        'Normal',
        'SuccessfulCreate',
        `Started the virtual machine by creating the new virtual machine instance ${created.metadata.name ?? ''}`,
      );
      return { issued: { creation: true } };
    } catch (err) {
      this.expectations.creationObserved(key);
      void recorder.event(vm, 'Warning', 'FailedCreate', `Error creating virtual machine instance: ${errorMessage(err)}`);
      return {
        syncError: { reason: 'FailedCreate', message: `Failure while starting VMI: ${errorMessage(err)}`, requeue: true },
        issued: {},
      };
    }
  }

  private async stopVmi(key: string, vm: VirtualMachine, vmi: VirtualMachineInstance): Promise<{ syncError?: SyncError; issued: Issued }> {
    if (vmi.metadata.deletionTimestamp) return { issued: {} };
    const { ctx, recorder } = this.deps;
    this.expectations.expectDeletions(key, [objectKey(vmi)]);
    try {
      await ctx.client.delete(VMI_REF, vmi.metadata.namespace, vmi.metadata.name ?? '');
    } catch (err) {
      this.expectations.deletionObserved(key, objectKey(vmi));
      if (statusCode(err) === 404) return { issued: {} };
      void recorder.event(
        vm,
        'Warning',
        'FailedDelete',
        `Error deleting virtual machine instance ${vmi.metadata.name ?? ''}: ${errorMessage(err)}`,
      );
      return {
        syncError: { reason: 'FailedDelete', message: `Failure attempting to delete VMI: ${errorMessage(err)}`, requeue: true },
        issued: {},
      };
    }
    void recorder.event(
      vm,
      'Normal',
      'SuccessfulDelete',
      `Stopped the virtual machine by deleting the virtual machine instance ${vmi.metadata.uid ?? ''}`,
    );
    return { issued: { deletion: true } };
  }

  /** A VM whose template did not change since the VMI started (only e.g. its run strategy) moves the VMI's generation annotation along. */
  private async bumpGenerationAnnotation(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): Promise<void> {
    const generation = String(vm.metadata.generation ?? 1);
    const revisionName = vmi?.status?.virtualMachineRevisionName;
    if (!vmi || !revisionName || vmi.metadata.annotations?.['kubevirt.io/vm-generation'] === generation) return;
    let revision: KubeObject;
    try {
      revision = await this.deps.ctx.client.get(CONTROLLER_REVISION_REF, vm.metadata.namespace, revisionName);
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw err;
    }
    const started = (revision.data as { spec?: { template?: unknown } } | undefined)?.spec?.template;
    if (!jsonEqual(started, vm.spec.template)) return;
    const annotations = { ...(vmi.metadata.annotations ?? {}), 'kubevirt.io/vm-generation': generation };
    await this.deps.ctx.client.patch(VMI_REF, vmi.metadata.namespace, vmi.metadata.name ?? '', 'json', [
      { op: 'test', path: '/metadata/annotations', value: vmi.metadata.annotations },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ]);
  }

  private async writeStatus(
    key: string,
    vm: VirtualMachine,
    vmi: VirtualMachineInstance | undefined,
    syncError: SyncError | undefined,
    issued: Issued,
  ): Promise<void> {
    const { ctx, pvcs } = this.deps;
    const claimPhases = new Map<string, string>();
    for (const claim of templateClaims(vm)) {
      const pvc = pvcs.getByName(vm.metadata.namespace, claim);
      if (pvc) claimPhases.set(claim, (pvc.status as { phase?: string } | undefined)?.phase ?? 'Pending');
    }
    const status = nextVmStatus({
      vm,
      vmi,
      syncError,
      startExpected: issued.creation === true || this.expectations.isCreationExpected(key),
      stopExpected: issued.deletion === true || this.expectations.isDeletionExpected(key),
      claimPhases,
      dataVolume: (name) => this.deps.dataVolumes.get(vm.metadata.namespace, name),
      nowMs: ctx.clock.nowMs(),
      now: rfc3339(ctx.clock.now()),
      random: ctx.random.next(),
    });
    const dump = nextMemoryDumpRequest(vm, vmi);
    if (dump) status.memoryDumpRequest = dump;
    else delete status.memoryDumpRequest;
    if (jsonEqual(status, vm.status ?? {})) return;
    await ctx.client.update({ ...vm, status }, { subresource: 'status' });
  }
}
