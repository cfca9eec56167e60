/**
 * virt-controller's VirtualMachinePool controller
 * (pkg/virt-controller/watch/pool/pool.go): keeps spec.replicas VMs named
 * `<pool>-<index>` (see pool-vm.ts), each recorded against a ControllerRevision
 * of the pool spec; scales in by the scale-in strategy; keeps its finalizer on
 * the pool and on every VM until they go; writes replicas, readyReplicas,
 * labelSelector and the ReplicaFailure / ReplicaPaused conditions; rolls template
 * changes out to the VMs and their VMIs (pool-update.ts); replaces failing VMs
 * when autohealing is on (pool-autoheal.ts). The VMs then
 * run through the VM controller like any other.
 */
import { matchLabelSelector } from '../../../api/selectors/label-selector.js';
import type { KubeObject } from '../../../api/types.js';
import type { KindRef } from '../../../client/client.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { controllerKeyOf, writeOwnerReferences } from '../../../kube/owners.js';
import { writeStatus } from '../../../kube/status.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { Expectations } from '../../../runtime/expectations.js';
import { objectKey, type HandlerRegistration, type Informer } from '../../../runtime/informer.js';
import { hasCondition } from '../conditions.js';
import { CONTROLLER_REVISION_REF, VM_REF } from '../constants.js';
import { errorMessage, statusCode } from '../errors.js';
import { scaleInOrder } from './pool-scale-in.js';
import { vmsToAutoheal } from './pool-autoheal.js';
import {
  FINALIZER_POOL,
  freeIndices,
  LABEL_POOL_REVISION,
  POOL_REF,
  poolRevisionName,
  vmFromPool,
  type VirtualMachinePool,
} from './pool-vm.js';
import { BURST_REPLICAS } from '../replicaset/replicaset-controller.js';
import { childrenControlledBy, observeChildren, parentKeysOf } from '../replicaset/replicaset-children.js';
import { nextReplicaStatus, type SyncFailure } from '../replicaset/replicaset-status.js';
import type { VirtualMachine, VirtualMachineInstance } from '../types.js';
import { updatePool, type PoolUpdateDeps, type UpdateOutcome } from './pool-update.js';

export interface PoolControllerDeps {
  ctx: ComponentContext;
  pools: Informer<VirtualMachinePool>;
  vms: Informer<VirtualMachine>;
  revisions: Informer;
  /** The VMIs of the pool's VMs, for the rolling update of running VMIs. */
  vmis: Informer<VirtualMachineInstance>;
  recorder: EventRecorder;
}

/** JSON patch setting the finalizer list, guarded by a test of the list it was computed from. */
const finalizersPatch = (obj: KubeObject, finalizers: string[]): unknown[] =>
  obj.metadata.finalizers
    ? [
        { op: 'test', path: '/metadata/finalizers', value: obj.metadata.finalizers },
        { op: 'replace', path: '/metadata/finalizers', value: finalizers },
      ]
    : [{ op: 'add', path: '/metadata/finalizers', value: finalizers }];

const isUnmanaged = (pool: VirtualMachinePool): boolean => pool.spec.scaleInStrategy?.unmanaged !== undefined;

export class VmPoolController implements Component {
  readonly name = 'virt-controller/pool';
  private readonly controller: Controller;
  private readonly expectations: Expectations;
  private registrations: HandlerRegistration[] = [];

  constructor(private readonly deps: PoolControllerDeps) {
    const { ctx, pools, vms, revisions } = deps;
    this.expectations = new Expectations(ctx.clock);
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(pools);
    // A pool does not adopt orphans (pool.go only releases): only its own VMs concern it.
    this.controller.watch(vms, (vm) => parentKeysOf(vm, POOL_REF.kind, pools, false));
    this.controller.watch(revisions, (revision) => {
      const poolKey = controllerKeyOf(revision, POOL_REF.kind);
      return poolKey ? [poolKey] : [];
    });
  }

  async start(): Promise<void> {
    this.registrations = [
      observeChildren(this.deps.vms, this.expectations, POOL_REF.kind),
      observeChildren(this.deps.revisions, this.expectations, POOL_REF.kind),
    ];
    await this.controller.start();
  }

  async stop(): Promise<void> {
    for (const registration of this.registrations.splice(0)) registration.remove();
    await this.controller.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { ctx } = this.deps;
    const pool = this.deps.pools.get(key);
    if (!pool) {
      this.expectations.forget(key);
      return;
    }
    if (!matchLabelSelector(pool.spec.selector, pool.spec.virtualMachineTemplate.metadata?.labels ?? {})) return;
    const vms = await this.ownedVms(pool);
    let failure: SyncFailure | undefined;
    let result: ReconcileResult | undefined;
    // Autohealing comes first (pool.go execute): failing VMs go through scale-in, and the scale-out replaces them.
    const healing = vmsToAutoheal(pool, vms, ctx.clock.nowMs());
    if (healing.dueInMs !== undefined) result = { requeueAfterMs: healing.dueInMs };
    if (healing.vms.length > 0) await this.removeVms(key, pool, healing.vms, healing.vms.length);
    if (!pool.metadata.deletionTimestamp) await this.setFinalizer(POOL_REF, pool, true);
    if (pool.metadata.deletionTimestamp) {
      // The VMs go by garbage collection; the pool lets go of them, then of itself.
      for (const vm of vms) await this.setFinalizer(VM_REF, vm, false);
      await this.setFinalizer(POOL_REF, pool, false);
    } else if (this.expectations.satisfied(key) && !pool.spec.paused) {
      const { failure: scaleFailure, stable } = await this.scale(key, pool, vms);
      failure = scaleFailure;
      // Updates follow a stable scale, and revisions are pruned once the update is stable too (pool.go sync).
      let updated: UpdateOutcome | undefined;
      if (!failure && stable && this.expectations.satisfied(key)) {
        try {
          updated = await updatePool(this.updateDeps, pool, vms, () => this.ensureRevision(key, pool));
          if (updated.retryAfterMs) result = { requeueAfterMs: Math.min(updated.retryAfterMs, result?.requeueAfterMs ?? Infinity) };
        } catch (err) {
          failure = { reason: 'FailedUpdate', message: errorMessage(err) };
        }
      }
      if (!failure && updated?.stable && this.expectations.satisfied(key)) failure = await this.pruneRevisions(pool, vms);
    }
    const next = nextReplicaStatus({
      previous: pool.status,
      selector: pool.spec.selector,
      replicas: vms.length,
      readyReplicas: vms.filter((vm) => hasCondition(vm.status?.conditions, 'Ready', 'True')).length,
      failure,
      paused: pool.spec.paused === true,
      pausedCondition: { reason: 'SuccessfulPaused', message: 'Pool controller is paused' },
      now: rfc3339(ctx.clock.now()),
    });
    if (failure && next.failureAdded) void this.deps.recorder.event(pool, 'Warning', failure.reason, failure.message);
    if (next.pause === 'paused') void this.deps.recorder.event(pool, 'Normal', 'SuccessfulPaused', 'Pool is paused');
    if (next.pause === 'resumed') void this.deps.recorder.event(pool, 'Normal', 'SuccessfulResume', 'Pool is unpaused');
    await writeStatus(ctx.client, pool, next.status);
    if (failure) throw new Error(failure.message);
    return result;
  }

  private get updateDeps(): PoolUpdateDeps {
    const { ctx, recorder, vmis, revisions } = this.deps;
    return {
      client: ctx.client,
      recorder,
      vmis,
      revisionSpec: (namespace, name) => revisions.getByName(namespace, name)?.data as VirtualMachinePool['spec'] | undefined,
    };
  }

  /** The VMs the pool controls, after releasing those whose labels no longer match its selector. */
  private async ownedVms(pool: VirtualMachinePool): Promise<VirtualMachine[]> {
    const owned: VirtualMachine[] = [];
    for (const vm of childrenControlledBy(this.deps.vms, pool.metadata.uid ?? '', pool.metadata.namespace ?? '')) {
      if (matchLabelSelector(pool.spec.selector, vm.metadata.labels) || vm.metadata.deletionTimestamp) owned.push(vm);
      else
        await writeOwnerReferences(
          this.deps.ctx.client,
          vm,
          (vm.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== pool.metadata.uid),
        );
    }
    return owned;
  }

  /** pool.go scale: out or in toward spec.replicas; `stable` once nothing is left to do. */
  private async scale(key: string, pool: VirtualMachinePool, vms: VirtualMachine[]): Promise<{ failure?: SyncFailure; stable: boolean }> {
    const diff = vms.length - (pool.spec.replicas ?? 1);
    if (diff === 0) {
      // VMs someone else is deleting leave the pool: their finalizer goes (opportunistic scale-in).
      if (!isUnmanaged(pool)) for (const vm of vms.filter((v) => v.metadata.deletionTimestamp)) await this.setFinalizer(VM_REF, vm, false);
      return { stable: true };
    }
    const count = Math.min(Math.abs(diff), BURST_REPLICAS);
    try {
      if (diff < 0) await this.scaleOut(key, pool, count);
      else await this.scaleIn(key, pool, vms, count);
      return { stable: false };
    } catch (err) {
      return diff < 0
        ? { failure: { reason: 'FailedScaleOut', message: `error during scale out: ${errorMessage(err)}` }, stable: false }
        : { failure: { reason: 'FailedScaleIn', message: `error during scale in: ${errorMessage(err)}` }, stable: false };
    }
  }

  private async scaleOut(key: string, pool: VirtualMachinePool, count: number): Promise<void> {
    const { ctx, vms, recorder } = this.deps;
    const namespace = pool.metadata.namespace;
    const indices = freeIndices(pool, count, (name) => vms.getByName(namespace, name) !== undefined);
    const revisionName = await this.ensureRevision(key, pool);
    let firstError: unknown;
    for (const index of indices) {
      this.expectations.expectCreations(key);
      try {
        const vm = await ctx.client.create(vmFromPool(pool, index, revisionName));
        void recorder.event(pool, 'Normal', 'SuccessfulCreate', `Created VM ${vm.metadata.namespace ?? ''}/${vm.metadata.name ?? ''}`);
      } catch (err) {
        this.expectations.creationObserved(key);
        firstError ??= err;
      }
    }
    if (firstError !== undefined) {
      void recorder.event(pool, 'Warning', 'FailedCreate', `Error creating VM: ${errorMessage(firstError)}`);
      throw firstError;
    }
  }

  /** Proactive scale-in (the default); none when unmanaged or opportunistic. */
  private async scaleIn(key: string, pool: VirtualMachinePool, vms: VirtualMachine[], count: number): Promise<void> {
    if (isUnmanaged(pool) || pool.spec.scaleInStrategy?.opportunistic) return;
    await this.removeVms(key, pool, vms, count);
  }

  /** pool.go scaleIn: VMs already going count towards `count`; the rest go in the selection policy's order. */
  private async removeVms(key: string, pool: VirtualMachinePool, vms: VirtualMachine[], count: number): Promise<void> {
    const { ctx, recorder } = this.deps;
    const eligible = vms.filter((vm) => !vm.metadata.deletionTimestamp);
    const victims = scaleInOrder(eligible, pool.spec.scaleInStrategy?.proactive?.selectionPolicy, () => ctx.random.next()).slice(
      0,
      Math.max(0, count - (vms.length - eligible.length)),
    );
    this.expectations.expectDeletions(key, victims.map(objectKey));
    let firstError: unknown;
    for (const vm of victims) {
      const name = `${vm.metadata.namespace ?? ''}/${vm.metadata.name ?? ''}`;
      try {
        const deleting = await ctx.client.delete(VM_REF, vm.metadata.namespace, vm.metadata.name ?? '');
        await this.setFinalizer(VM_REF, deleting, false);
        void recorder.event(pool, 'Normal', 'SuccessfulDelete', `Deleted VM ${name} with uid ${vm.metadata.uid ?? ''} from pool`);
      } catch (err) {
        this.expectations.deletionObserved(key, objectKey(vm));
        void recorder.event(pool, 'Warning', 'FailedDelete', `Error deleting virtual machine ${name}: ${errorMessage(err)}`);
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  /** The ControllerRevision `<pool>-<generation>` holding the pool spec the new VMs come from. */
  private async ensureRevision(key: string, pool: VirtualMachinePool): Promise<string> {
    const name = poolRevisionName(pool);
    if (this.deps.revisions.getByName(pool.metadata.namespace, name)) return name;
    const revision: KubeObject = {
      apiVersion: CONTROLLER_REVISION_REF.apiVersion,
      kind: CONTROLLER_REVISION_REF.kind,
      metadata: {
        name,
        namespace: pool.metadata.namespace,
        ownerReferences: [
          {
            apiVersion: POOL_REF.apiVersion,
            kind: POOL_REF.kind,
            name: pool.metadata.name ?? '',
            uid: pool.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      data: pool.spec,
      revision: pool.metadata.generation ?? 1,
    };
    this.expectations.expectCreations(key);
    try {
      await this.deps.ctx.client.create(revision);
    } catch (err) {
      this.expectations.creationObserved(key);
      if (statusCode(err) !== 409) throw err;
    }
    return name;
  }

  /** Deletes the pool's revisions no VM or VMI refers to any more. */
  private async pruneRevisions(pool: VirtualMachinePool, vms: VirtualMachine[]): Promise<SyncFailure | undefined> {
    const vmiRevision = (vm: VirtualMachine) =>
      this.deps.vmis.getByName(vm.metadata.namespace, vm.metadata.name ?? '')?.metadata.labels?.[LABEL_POOL_REVISION];
    const inUse = new Set(
      vms.flatMap((vm) => [
        vm.metadata.labels?.[LABEL_POOL_REVISION],
        vm.spec.template.metadata?.labels?.[LABEL_POOL_REVISION],
        vmiRevision(vm),
      ]),
    );
    const unused = childrenControlledBy(this.deps.revisions, pool.metadata.uid ?? '', pool.metadata.namespace ?? '').filter(
      (revision) => !inUse.has(revision.metadata.name),
    );
    for (const revision of unused) {
      try {
        await this.deps.ctx.client.delete(CONTROLLER_REVISION_REF, revision.metadata.namespace, revision.metadata.name ?? '');
      } catch (err) {
        if (statusCode(err) !== 404)
          return { reason: 'FailedRevisionPruning', message: `error while pruning vmpool revisions: ${errorMessage(err)}` };
      }
    }
    return undefined;
  }

  /** Adds or removes the pool finalizer; a list changed meanwhile (the patch's test fails) is read again once. */
  private async setFinalizer(ref: KindRef, obj: KubeObject, present: boolean, retry = true): Promise<void> {
    const { client } = this.deps.ctx;
    const finalizers = obj.metadata.finalizers ?? [];
    if (finalizers.includes(FINALIZER_POOL) === present) return;
    const next = present ? [...finalizers, FINALIZER_POOL] : finalizers.filter((f) => f !== FINALIZER_POOL);
    try {
      await client.patch(ref, obj.metadata.namespace, obj.metadata.name ?? '', 'json', finalizersPatch(obj, next));
    } catch (err) {
      if (statusCode(err) === 404) return;
      if (!retry) throw err;
      const fresh = await client
        .get(ref, obj.metadata.namespace, obj.metadata.name ?? '')
        .catch((getErr: unknown) => (statusCode(getErr) === 404 ? undefined : Promise.reject(getErr)));
      if (fresh) await this.setFinalizer(ref, fresh, present, false);
    }
  }
}
