/**
 * virt-controller's VirtualMachineInstanceReplicaSet controller
 * (pkg/virt-controller/watch/replicaset/replicaset.go): keeps spec.replicas
 * active VMIs stamped from the template (named `<generateName><5 random>`),
 * adopts matching orphans and releases children that stop matching, deletes
 * finished VMIs so they are replaced, and writes replicas, readyReplicas,
 * labelSelector and the ReplicaFailure / ReplicaPaused conditions.
 */
import { matchLabelSelector, type LabelSelectorObject } from '../../../api/selectors/label-selector.js';
import type { KubeObject } from '../../../api/types.js';
import type { KindRef } from '../../../client/client.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { claimChildren, newControllerRef } from '../../../kube/owners.js';
import { writeStatus } from '../../../kube/status.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { objectKey, type HandlerRegistration, type Informer } from '../../../runtime/informer.js';
import { hasCondition } from '../conditions.js';
import { VMI_REF } from '../constants.js';
import { errorMessage, statusCode } from '../errors.js';
import { Expectations } from '../../../runtime/expectations.js';
import { childrenControlledBy, observeChildren, parentKeysOf } from './replicaset-children.js';
import { nextReplicaStatus, type ReplicaStatus, type SyncFailure } from './replicaset-status.js';
import { isFinal, type VirtualMachineInstance, type VmiSpec } from '../types.js';

export const VMIRS_REF: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceReplicaSet' };

export interface VirtualMachineInstanceReplicaSet extends KubeObject {
  spec: {
    replicas?: number;
    selector?: LabelSelectorObject;
    template?: {
      metadata?: { name?: string; generateName?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: VmiSpec;
    };
    paused?: boolean;
  };
  status?: ReplicaStatus;
}

/** virt-controller's BurstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 250;

/** The VMI's pod is going away (Ready=False PodTerminating): it counts as neither active nor finished-and-kept. */
const isPodTerminating = (vmi: VirtualMachineInstance): boolean => hasCondition(vmi.status?.conditions, 'Ready', 'False', 'PodTerminating');
const isActive = (vmi: VirtualMachineInstance): boolean => !isFinal(vmi) && !vmi.metadata.deletionTimestamp && !isPodTerminating(vmi);
/** Finished or "unknown" VMIs, which the replica set deletes so that they are replaced. */
const isDone = (vmi: VirtualMachineInstance): boolean => !vmi.metadata.deletionTimestamp && (isFinal(vmi) || isPodTerminating(vmi));

/** The template's labels must be there and match the selector, or the controller leaves the object alone. */
const isUsable = (rs: VirtualMachineInstanceReplicaSet): boolean => {
  const labels = rs.spec.template?.metadata?.labels;
  return (
    !!rs.spec.template && !!rs.spec.selector && !!labels && Object.keys(labels).length > 0 && matchLabelSelector(rs.spec.selector, labels)
  );
};

export interface ReplicaSetControllerDeps {
  ctx: ComponentContext;
  replicaSets: Informer<VirtualMachineInstanceReplicaSet>;
  vmis: Informer<VirtualMachineInstance>;
  recorder: EventRecorder;
}

export class VmiReplicaSetController implements Component {
  readonly name = 'virt-controller/vmirs';
  private readonly controller: Controller;
  private readonly expectations: Expectations;
  private registration: HandlerRegistration | undefined;

  constructor(private readonly deps: ReplicaSetControllerDeps) {
    const { ctx, replicaSets, vmis } = deps;
    this.expectations = new Expectations(ctx.clock);
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(replicaSets);
    this.controller.watch(vmis, (vmi) => parentKeysOf(vmi, VMIRS_REF.kind, replicaSets, true));
  }

  async start(): Promise<void> {
    this.registration = observeChildren(this.deps.vmis, this.expectations, VMIRS_REF.kind);
    await this.controller.start();
  }

  async stop(): Promise<void> {
    this.registration?.remove();
    await this.controller.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const { ctx, replicaSets, vmis } = this.deps;
    const rs = replicaSets.get(key);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    if (!isUsable(rs)) return;
    const needsSync = this.expectations.satisfied(key);
    const namespace = rs.metadata.namespace ?? '';
    const candidates = [...childrenControlledBy(vmis, rs.metadata.uid ?? '', namespace), ...childrenControlledBy(vmis, '', namespace)];
    const owned = await claimChildren(ctx.client, rs, rs.spec.selector ?? {}, candidates);
    const active = owned.filter(isActive);
    const wanted = rs.spec.replicas ?? 1;
    let failure: SyncFailure | undefined;
    if (needsSync && !rs.spec.paused && !rs.metadata.deletionTimestamp) {
      let error = await this.scale(key, rs, active, wanted);
      if (!error) error = await this.deleteDone(key, rs, owned.filter(isDone));
      if (error) failure = { reason: active.length < wanted ? 'FailedCreate' : 'FailedDelete', message: error };
    }
    const next = nextReplicaStatus({
      previous: rs.status,
      selector: rs.spec.selector,
      replicas: active.length,
      readyReplicas: active.filter((vmi) => hasCondition(vmi.status?.conditions, 'Ready', 'True')).length,
      failure,
      paused: rs.spec.paused === true,
      pausedCondition: { reason: 'Paused', message: 'Controller got paused' },
      now: rfc3339(ctx.clock.now()),
    });
    const written = await writeStatus(ctx.client, rs, next.status);
    if (written && next.pause === 'paused') void this.deps.recorder.event(rs, 'Normal', 'SuccessfulPaused', 'Paused');
    if (written && next.pause === 'resumed') void this.deps.recorder.event(rs, 'Normal', 'SuccessfulResumed', 'Resumed');
    if (failure) throw new Error(failure.message);
  }

  /** Creates or deletes VMIs toward `wanted`, at most BURST_REPLICAS of them; answers the first error. */
  private async scale(
    key: string,
    rs: VirtualMachineInstanceReplicaSet,
    active: VirtualMachineInstance[],
    wanted: number,
  ): Promise<string | undefined> {
    const diff = active.length - wanted;
    const count = Math.min(Math.abs(diff), BURST_REPLICAS);
    let firstError: string | undefined;
    for (let i = 0; i < count; i++) {
      const error = diff < 0 ? await this.createVmi(key, rs) : await this.deleteVmi(key, rs, active[i], 'surplus');
      firstError ??= error;
    }
    return firstError;
  }

  private async deleteDone(key: string, rs: VirtualMachineInstanceReplicaSet, done: VirtualMachineInstance[]): Promise<string | undefined> {
    let firstError: string | undefined;
    for (const vmi of done.slice(0, BURST_REPLICAS)) firstError ??= await this.deleteVmi(key, rs, vmi, 'finished');
    return firstError;
  }

  private async createVmi(key: string, rs: VirtualMachineInstanceReplicaSet): Promise<string | undefined> {
    const { ctx, recorder } = this.deps;
    const template = rs.spec.template!;
    const { name: templateName, generateName, ...metadata } = template.metadata ?? {};
    const vmi: VirtualMachineInstance = {
      apiVersion: VMI_REF.apiVersion,
      kind: VMI_REF.kind,
      metadata: {
        ...structuredClone(metadata),
        // No dash is added: the VMIs are called like `myrs` + 5 random characters.
        generateName: templateName || generateName || rs.metadata.name,
        namespace: rs.metadata.namespace,
        ownerReferences: [newControllerRef(rs)],
      },
      spec: structuredClone(template.spec),
    };
    this.expectations.expectCreations(key);
    try {
      const created = await ctx.client.create(vmi);
      void recorder.event(
        rs,
        'Normal',
        'SuccessfulCreate',
        `Started the virtual machine by creating the new virtual machine instance ${created.metadata.name ?? ''}`,
      );
      return undefined;
    } catch (err) {
      this.expectations.creationObserved(key);
      void recorder.event(rs, 'Warning', 'FailedCreate', `Error creating virtual machine instance: ${errorMessage(err)}`);
      return errorMessage(err);
    }
  }

  private async deleteVmi(
    key: string,
    rs: VirtualMachineInstanceReplicaSet,
    vmi: VirtualMachineInstance,
    why: 'surplus' | 'finished',
  ): Promise<string | undefined> {
    const { ctx, recorder } = this.deps;
    const name = vmi.metadata.name ?? '';
    this.expectations.expectDeletions(key, [objectKey(vmi)]);
    try {
      await ctx.client.delete(VMI_REF, vmi.metadata.namespace, name, { preconditions: { uid: vmi.metadata.uid } });
    } catch (err) {
      this.expectations.deletionObserved(key, objectKey(vmi));
      // Someone else deleted it first: what was wanted happened.
      if (statusCode(err) === 404) return undefined;
      const what = why === 'surplus' ? `virtual machine instance ${name}` : `finished virtual machine ${name}`;
      void recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting ${what}: ${errorMessage(err)}`);
      return errorMessage(err);
    }
    const uid = vmi.metadata.uid ?? '';
    void recorder.event(
      rs,
      'Normal',
      'SuccessfulDelete',
      why === 'surplus'
        ? `Stopped the virtual machine by deleting the virtual machine instance ${uid}`
        : `Deleted finished virtual machine: ${uid}`,
    );
    return undefined;
  }
}
