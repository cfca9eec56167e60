/**
 * virt-controller's VMI controller: creates the virt-launcher pod of a
 * pending VMI, follows the pod to Scheduled (where virt-handler takes over),
 * deletes the pods of a deleted VMI and releases its finalizer once they are
 * gone. Events as KubeVirt records them on the VMI.
 */
import type { Pod } from '../../../kube/pods.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { objectKey, type HandlerRegistration, type Informer } from '../../../runtime/informer.js';
import type { ClusterConfig } from '../cluster-config.js';
import { ANNOTATION_LATEST_API, ANNOTATION_STORAGE_API, POD_CONDITION_UNPAUSED, POD_REF } from '../constants.js';
import { Expectations } from '../../../runtime/expectations.js';
import { jsonEqual } from '../../../kube/json-equal.js';
import { isPodDown, isPodDownOrGoingDown, isTempPod, owningVmi } from './launcher-pod-state.js';
import { podsOwnedByVmi } from './launcher-pod-index.js';
import { renderLauncherPod } from '../services/launcher-pod.js';
import { multusNetworkNames, NAD_REF, NAD_RESOURCE_ANNOTATION, nadNamespacedName } from '../services/launcher-devices.js';
import { hasCondition } from '../conditions.js';
import { isFinal, isUnprocessed, type VirtualMachine, type VirtualMachineInstance } from '../types.js';
import { claimInfo, nextVmiState, type SyncError } from './vmi-status.js';
import type { PersistentVolumeClaim } from '../../../kube/volumes.js';
import { errorMessage, statusCode } from '../errors.js';
import { HotplugAttachments } from '../hotplug/attachments.js';
import { claimNameOf } from '../hotplug/volumes.js';
import type { DataVolumeCache } from '../datavolume/datavolume-cache.js';
import { dataVolumesOf, volumesReady } from '../datavolume/volume-readiness.js';

export interface VmiControllerDeps {
  ctx: ComponentContext;
  vmis: Informer<VirtualMachineInstance>;
  vms: Informer<VirtualMachine>;
  pods: Informer<Pod>;
  pvcs: Informer;
  recorder: EventRecorder;
  config: () => ClusterConfig;
  /** virt-controller's own Deployment, whose `--launcher-image` the config reads. */
  controllerDeployments: Informer;
  /** Hotplug attachment pods (kubevirt.io=hotplug-disk), controlled by launcher pods. */
  attachmentPods: Informer<Pod>;
  /** CDI's DataVolumes, once CDI is installed. */
  dataVolumes: DataVolumeCache;
}

/** The annotation of a WaitForFirstConsumer temporary pod (v1.EphemeralProvisioningObject). */
const EPHEMERAL_PROVISIONING = 'kubevirt.io/ephemeral-provisioning';

/**
 * RenderLaunchManifestNoVm: the launcher pod as a "doppelganger" that only consumes the VMI's claims, so a
 * WaitForFirstConsumer claim gets a node and CDI can populate it; it runs no VM.
 */
function temporaryPod(pod: Pod): Pod {
  return {
    ...pod,
    metadata: { ...pod.metadata, annotations: { ...pod.metadata.annotations, [EPHEMERAL_PROVISIONING]: 'true' } },
    spec: {
      ...pod.spec,
      containers: pod.spec.containers.map((c) => (c.name === 'compute' ? { ...c, command: ['/bin/bash', '-c', 'echo', 'bound PVCs'] } : c)),
    },
  };
}

/** Adds the api-version annotations KubeVirt writes first thing on every object it manages (a plain update, nothing else that round). */
export function withObservedApiVersion<T extends VirtualMachineInstance | VirtualMachine>(obj: T): T | undefined {
  const annotations = obj.metadata.annotations ?? {};
  if (annotations[ANNOTATION_LATEST_API] === 'v1' && annotations[ANNOTATION_STORAGE_API] === 'v1') return undefined;
  return {
    ...obj,
    metadata: { ...obj.metadata, annotations: { ...annotations, [ANNOTATION_LATEST_API]: 'v1', [ANNOTATION_STORAGE_API]: 'v1' } },
  };
}

/** The pods the VMI controls (an owner reference's uid names an object of the pod's own namespace). */
const podsOf = (pods: Informer<Pod>, vmi: VirtualMachineInstance): Pod[] =>
  podsOwnedByVmi(pods, vmi.metadata.uid ?? '').filter((pod) => pod.metadata.namespace === vmi.metadata.namespace);

/** The pod that is the VMI's launcher now: the newest one on the VMI's node (any node before it has one). */
export function currentPod(vmi: VirtualMachineInstance, owned: readonly Pod[]): Pod | undefined {
  let current: Pod | undefined;
  for (const pod of owned) {
    if (vmi.status?.nodeName && vmi.status.nodeName !== pod.spec.nodeName) continue;
    if (!current || (current.metadata.creationTimestamp ?? '') <= (pod.metadata.creationTimestamp ?? '')) current = pod;
  }
  return current;
}

export class VmiController implements Component {
  readonly name = 'virt-controller/vmi';
  private readonly controller: Controller;
  private readonly podExpectations: Expectations;
  private readonly hotplug: HotplugAttachments;
  private registrations: HandlerRegistration[] = [];

  constructor(private readonly deps: VmiControllerDeps) {
    const { ctx, vmis, pods, pvcs } = deps;
    this.podExpectations = new Expectations(ctx.clock);
    this.hotplug = new HotplugAttachments({
      ctx,
      attachmentPods: deps.attachmentPods,
      claim: (namespace, name) => pvcs.getByName(namespace, name) as PersistentVolumeClaim | undefined,
      recorder: deps.recorder,
      launcherImage: () => deps.config().launcherImage,
    });
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(vmis);
    this.controller.watch(pods, (pod) => {
      const owner = owningVmi(pod);
      return owner ? [`${pod.metadata.namespace ?? ''}/${owner.name}`] : [];
    });
    // A PVC appearing lets a VMI waiting for it go on; a claim's phase shows in its hotplug volume's status.
    this.controller.watch(pvcs, (pvc) =>
      vmis
        .listByNamespace(pvc.metadata.namespace ?? '')
        .filter((vmi) => isUnprocessed(vmi) || vmi.spec.volumes?.some((v) => claimNameOf(v) === pvc.metadata.name))
        .map(objectKey),
    );
    // An attachment pod's changes belong to the VMI of the launcher pod that controls it.
    this.controller.watch(deps.attachmentPods, (pod) => {
      const ref = pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Pod');
      const launcher = ref ? pods.getByName(pod.metadata.namespace, ref.name) : undefined;
      const owner = launcher ? owningVmi(launcher) : undefined;
      return owner ? [`${pod.metadata.namespace ?? ''}/${owner.name}`] : [];
    });
    // The owning VM coming or going decides whether a final VMI keeps the VM controller's finalizer.
    this.controller.watch(deps.vms);
    // A DataVolume concerns the VMIs with a volume of its name (listVMIsMatchingDV).
    deps.dataVolumes.onServed((informer) =>
      this.controller.watch(informer, (dv) =>
        vmis
          .listByNamespace(dv.metadata.namespace ?? '')
          .filter((vmi) => vmi.spec.volumes?.some((v) => claimNameOf(v) === dv.metadata.name))
          .map(objectKey),
      ),
    );
    // virt-controller of a new version starts with another launcher image and resyncs every VMI, so the outdated-launcher label follows.
    let launcherImage: string | undefined;
    this.controller.watch(deps.controllerDeployments, () => {
      const current = deps.config().launcherImage;
      if (current === launcherImage) return [];
      launcherImage = current;
      return vmis.list().map(objectKey);
    });
  }

  async start(): Promise<void> {
    const observe = (pod: Pod): void => {
      const owner = owningVmi(pod);
      if (owner) this.podExpectations.creationObserved(`${pod.metadata.namespace ?? ''}/${owner.name}`);
    };
    this.registrations = [
      this.deps.pods.addEventHandler({ onAdd: observe }),
      this.deps.attachmentPods.addEventHandler({ onAdd: (pod) => this.hotplug.observe(pod) }),
    ];
    await this.controller.start();
  }

  async stop(): Promise<void> {
    for (const registration of this.registrations) registration.remove();
    await this.controller.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { ctx, vmis, pods } = this.deps;
    const vmi = vmis.get(key);
    if (!vmi) {
      this.podExpectations.forget(key);
      return;
    }
    const annotated = withObservedApiVersion(vmi);
    if (annotated) {
      await ctx.client.update(annotated);
      return;
    }
    if (!this.podExpectations.satisfied(key)) return;

    const owned = podsOf(pods, vmi);
    const { syncError, pod } = await this.sync(key, vmi, currentPod(vmi, owned));
    const ownedNow = pod && !owned.includes(pod) ? [...owned, pod] : owned;
    const next = nextVmiState({
      vmi,
      pod,
      ownedPods: ownedNow,
      syncError,
      hasOwnerVm: this.hasOwnerVm(vmi),
      launcherImage: this.deps.config().launcherImage,
      now: rfc3339(ctx.clock.now()),
      claim: (name) => this.deps.pvcs.getByName(vmi.metadata.namespace, name) as PersistentVolumeClaim | undefined,
      dataVolumes: dataVolumesOf(vmi.spec.volumes, (name) => this.deps.dataVolumes.get(vmi.metadata.namespace, name)),
    });
    if (next.status?.phase === 'Running' && vmi.status?.phase === 'Running' && pod && !isPodDownOrGoingDown(pod)) {
      const claim = (name: string) => claimInfo(name, this.deps.pvcs.getByName(vmi.metadata.namespace, name) as PersistentVolumeClaim);
      next.status.volumeStatus = this.hotplug.volumeStatuses(next, pod, next.status.volumeStatus ?? [], claim);
    }
    // Only once bound: the simulated scheduler writes PodScheduled=False with a plain update and would lose it to our concurrent write.
    if (pod?.spec.nodeName && !isTempPod(pod) && !isPodDownOrGoingDown(pod)) await this.syncUnpausedCondition(vmi, pod);
    if (
      !jsonEqual([next.status, next.metadata.finalizers, next.metadata.labels], [vmi.status, vmi.metadata.finalizers, vmi.metadata.labels])
    ) {
      await ctx.client.update(next);
    }
    if (syncError?.requeue) throw new Error(syncError.message);
  }

  /** The sync step: pod deletion for a deleted VMI, pod creation for a pending one. Returns the pod to judge the status by. */
  private async sync(key: string, vmi: VirtualMachineInstance, pod: Pod | undefined): Promise<{ syncError?: SyncError; pod?: Pod }> {
    if (vmi.metadata.deletionTimestamp) {
      const failed = await this.deleteAllPods(vmi);
      return { syncError: failed, pod };
    }
    if (vmi.status?.phase === 'Running' && pod && !isPodDownOrGoingDown(pod)) return { pod, syncError: await this.hotplug.sync(vmi, pod) };
    if (isFinal(vmi)) return { pod };
    if (pod) {
      // The temporary pod has done its work once no claim waits for its first consumer any more.
      if (isTempPod(pod) && !this.volumesReady(vmi).waitsForFirstConsumer)
        return { pod, syncError: await this.deleteTemporaryPod(vmi, pod) };
      return { pod };
    }
    if (!isUnprocessed(vmi)) return {};

    const missing = this.missingClaim(vmi);
    if (missing) {
      const message = `PVC ${vmi.metadata.namespace ?? ''}/${missing} does not exist, waiting for it to appear`;
      void this.deps.recorder.event(vmi, 'Normal', 'FailedPvcNotFound', message);
      return { syncError: { reason: 'FailedPvcNotFound', message, requeue: false } };
    }
    const volumes = this.volumesReady(vmi);
    // Delaying pod creation while DataVolume populates.
    if (!volumes.ready) return {};
    const config = this.deps.config();
    const networkResources = config.externalNetResourceInjection ? {} : await this.networkResources(vmi);
    if (typeof networkResources === 'string') {
      return { syncError: { reason: 'FailedCreate', message: `failed to render launch manifest: ${networkResources}`, requeue: true } };
    }
    const rendered = renderLauncherPod(vmi, config, this.deps.ctx.random.next(), networkResources);
    const template = volumes.waitsForFirstConsumer ? temporaryPod(rendered) : rendered;
    this.podExpectations.expectCreations(key);
    try {
      const created = await this.deps.ctx.client.create(template);
      void this.deps.recorder.event(vmi, 'Normal', 'SuccessfulCreate', `Created virtual machine pod ${created.metadata.name ?? ''}`);
      return { pod: created };
    } catch (err) {
      this.podExpectations.creationObserved(key);
      const message = errorMessage(err);
      void this.deps.recorder.event(vmi, 'Warning', 'FailedCreate', `Error creating pod: ${message}`);
      return { syncError: { reason: 'FailedCreate', message: `failed to create virtual machine pod: ${message}`, requeue: true } };
    }
  }

  /**
   * The device resource behind each Multus network, read from its
   * NetworkAttachmentDefinition (multus.NetworkToResource), or the error
   * text when one cannot be read: without Multus there is none to find.
   */
  private async networkResources(vmi: VirtualMachineInstance): Promise<Record<string, string> | string> {
    const resources: Record<string, string> = {};
    for (const { network, nad } of multusNetworkNames(vmi.spec)) {
      const { namespace, name } = nadNamespacedName(vmi.metadata.namespace ?? '', nad);
      try {
        const definition = await this.deps.ctx.client.get(NAD_REF, namespace, name);
        resources[network] = definition.metadata.annotations?.[NAD_RESOURCE_ANNOTATION] ?? '';
      } catch {
        return `failed to locate network attachment definition ${namespace}/${name}`;
      }
    }
    return resources;
  }

  /** The first PersistentVolumeClaim (or DataVolume claim) the VMI needs that does not exist. */
  private missingClaim(vmi: VirtualMachineInstance): string | undefined {
    for (const volume of vmi.spec.volumes ?? []) {
      const claim = volume.persistentVolumeClaim?.claimName ?? volume.dataVolume?.name;
      if (claim && !this.deps.pvcs.getByName(vmi.metadata.namespace, claim)) return claim;
    }
    return undefined;
  }

  private volumesReady(vmi: VirtualMachineInstance): ReturnType<typeof volumesReady> {
    return volumesReady(
      vmi.spec.volumes,
      (name) => this.deps.pvcs.getByName(vmi.metadata.namespace, name) as PersistentVolumeClaim | undefined,
      (name) => this.deps.dataVolumes.get(vmi.metadata.namespace, name),
    );
  }

  /** deleteRunningFinishedOrFailedPod: a temporary pod goes at once (grace 0) once it has run. */
  private async deleteTemporaryPod(vmi: VirtualMachineInstance, pod: Pod): Promise<SyncError | undefined> {
    if (pod.metadata.deletionTimestamp || !['Running', 'Succeeded', 'Failed'].includes(pod.status?.phase ?? '')) return undefined;
    const name = pod.metadata.name ?? '';
    try {
      await this.deps.ctx.client.delete(POD_REF, pod.metadata.namespace, name, { gracePeriodSeconds: 0 });
    } catch (err) {
      if (statusCode(err) !== 404) {
        void this.deps.recorder.event(vmi, 'Warning', 'FailedDelete', `Failed to delete WaitForFirstConsumer temporary pod ${name}`);
        return { reason: 'FailedHotplugSync', message: `failed to clean up temporary pods: ${errorMessage(err)}`, requeue: true };
      }
    }
    void this.deps.recorder.event(vmi, 'Normal', 'SuccessfulDelete', `Deleted WaitForFirstConsumer temporary pod ${name}`);
    return undefined;
  }

  private async deleteAllPods(vmi: VirtualMachineInstance): Promise<SyncError | undefined> {
    const owned = podsOf(this.deps.pods, vmi);
    for (const pod of owned) {
      if (pod.metadata.deletionTimestamp && !isPodDown(pod)) continue;
      const name = pod.metadata.name ?? '';
      try {
        await this.deps.ctx.client.delete(POD_REF, pod.metadata.namespace, name);
      } catch (err) {
        if (statusCode(err) === 404) continue;
        void this.deps.recorder.event(vmi, 'Warning', 'FailedDelete', `Failed to delete virtual machine pod ${name}`);
        return { reason: 'FailedDelete', message: `failed to delete pod: ${errorMessage(err)}`, requeue: true };
      }
      void this.deps.recorder.event(vmi, 'Normal', 'SuccessfulDelete', `Deleted virtual machine pod ${name}`);
    }
    return undefined;
  }

  /** Keeps the launcher's readiness gate `kubevirt.io/virtual-machine-unpaused` in step with the VMI's Paused condition. */
  private async syncUnpausedCondition(vmi: VirtualMachineInstance, pod: Pod): Promise<void> {
    const paused = hasCondition(vmi.status?.conditions, 'Paused', 'True');
    const current = pod.status?.conditions?.find((c) => c.type === POD_CONDITION_UNPAUSED);
    if (paused ? current?.status !== 'True' : current?.status === 'True') return;
    const now = rfc3339(this.deps.ctx.clock.now());
    const condition = paused
      ? {
          type: POD_CONDITION_UNPAUSED,
          status: 'False',
          reason: 'Paused',
          message: 'the virtual machine is paused',
          lastProbeTime: now,
          lastTransitionTime: now,
        }
      : {
          type: POD_CONDITION_UNPAUSED,
          status: 'True',
          reason: 'NotPaused',
          message: 'the virtual machine is not paused',
          lastProbeTime: now,
          lastTransitionTime: now,
        };
    try {
      await this.deps.ctx.client.patch(
        POD_REF,
        pod.metadata.namespace,
        pod.metadata.name ?? '',
        'strategic',
        { status: { conditions: [condition] } },
        { subresource: 'status' },
      );
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }

  private hasOwnerVm(vmi: VirtualMachineInstance): boolean {
    const ref = vmi.metadata.ownerReferences?.find((r) => r.controller);
    if (ref?.kind !== 'VirtualMachine') return false;
    return this.deps.vms.getByName(vmi.metadata.namespace, ref.name)?.metadata.uid === ref.uid;
  }
}
