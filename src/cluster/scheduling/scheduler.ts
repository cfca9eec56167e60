/**
 * default-scheduler: takes each pending pod of its own, runs the filters
 * over a snapshot of the nodes, binds the pod to the best node or records why
 * none fits (PodScheduled=False, a FailedScheduling event). Unschedulable
 * pods wait until a node or a placed pod changes in a way that could help.
 * A bound pod is "assumed" on its node until the informer shows the binding,
 * so the next pod in the queue already sees it there.
 */
import type { Component } from '../../runtime/component.js';
import { Controller } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import { objectKey, type HandlerRegistration, type Informer } from '../../runtime/informer.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { bindPod, withCondition } from './binding.js';
import { findFeasibleNodes, type ClusterSnapshot } from './filters.js';
import { withAddedPods } from './node-aggregates.js';
import { preFilterMessage, unschedulableMessage } from './fit-error.js';
import { isTerminal, podCondition, type Node, type Pod } from './objects.js';
import { selectNode } from './scoring.js';
import { claimsToBind, isStaticClass, staticVolumeFor, volumePreFilter, type VolumeLookup } from './volume-binding.js';
import {
  ANN_SELECTED_NODE,
  isClaimBound,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from '../../kube/volumes.js';

export const SCHEDULER_NAME = 'default-scheduler';

/**
 * Whether an update changes what the filters read of a bound pod: its spec (node, requests, ports, affinity), its
 * labels (other pods' affinity) or whether it has finished. The store shares unchanged parts between versions, so an
 * unchanged spec is the same object; a copy only costs a rebuild of the node's list.
 */
const holdsDifferently = (old: Pod, pod: Pod): boolean =>
  old.spec !== pod.spec || old.metadata.labels !== pod.metadata.labels || isTerminal(old) !== isTerminal(pod);

export interface SchedulerInformers {
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  namespaces: Informer;
  /** Name of the pods informer's index by spec.nodeName. */
  nodeNameIndex: string;
  claims: Informer<PersistentVolumeClaim>;
  volumes: Informer<PersistentVolume>;
  storageClasses: Informer<StorageClass>;
}

/**
 * The dynamicresources plugin's PreEnqueue check: a claim made from a
 * ResourceClaimTemplate exists only once the resourceclaim controller has
 * named it in the pod's status; until then the pod is not even tried
 * ("ResourceClaim not created yet") and gets no PodScheduled condition.
 */
function waitsForResourceClaims(pod: Pod): boolean {
  const claims =
    (pod.spec as { resourceClaims?: Array<{ name: string; resourceClaimTemplateName?: string }> } | undefined)?.resourceClaims ?? [];
  const created = (pod.status as { resourceClaimStatuses?: Array<{ name: string }> } | undefined)?.resourceClaimStatuses ?? [];
  return claims.some((claim) => claim.resourceClaimTemplateName && !created.some((status) => status.name === claim.name));
}

/** A pod this scheduler has to place. */
export function needsScheduling(pod: Pod): boolean {
  return (
    !pod.spec?.nodeName &&
    (pod.spec?.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME &&
    !pod.metadata.deletionTimestamp &&
    !isTerminal(pod) &&
    !pod.spec?.schedulingGates?.length &&
    !waitsForResourceClaims(pod)
  );
}

/** The node fields the filters read: a change elsewhere (a heartbeat) cannot make a pod fit. */
const schedulingRelevant = (node: Node): string =>
  JSON.stringify([
    node.metadata.labels,
    node.spec?.taints,
    node.spec?.unschedulable,
    node.status?.allocatable,
    node.status?.conditions?.find((c) => c.type === 'Ready')?.status,
  ]);

export class Scheduler implements Component {
  readonly name = SCHEDULER_NAME;
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  /** Pods that found no node, retried when the cluster changes. */
  private readonly unschedulable = new Set<string>();
  /** Pods bound by this scheduler whose binding the informer has not shown yet. */
  private readonly assumed = new Map<string, Pod>();
  /** Pods whose WaitForFirstConsumer claims were given a node: bound once the claims are (VolumeBinding's PreBind wait). */
  private readonly waitingForVolumes = new Set<string>();
  private readonly volumeLookup: VolumeLookup;
  /**
   * Per node, its bound pods that still hold resources, as a frozen list kept
   * until one of them changes: the filters' per-node sums are remembered by
   * list, so an unchanged node costs nothing in the next cycle.
   */
  private readonly boundPods = new Map<string, readonly Pod[]>();
  /** The nodes ordered by name, kept until a node changes. */
  private sortedNodes: readonly Node[] | undefined;
  /** Where the next search for feasible nodes starts (kube's nextStartNodeIndex), so every node gets its turn. */
  private nextStartNodeIndex = 0;
  private registrations: HandlerRegistration[] = [];

  constructor(
    private readonly ctx: ComponentContext,
    private readonly informers: SchedulerInformers,
  ) {
    this.recorder = new EventRecorder(ctx.client, ctx.clock, { component: SCHEDULER_NAME }, ctx.logger);
    // One worker: each decision must see the previous one's assumed pod.
    this.controller = new Controller({ name: SCHEDULER_NAME, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.schedule(key) })
      // Watched for their sync only; the handlers below decide what to enqueue.
      .watch(informers.pods, () => [])
      .watch(informers.nodes, () => [])
      .watch(informers.namespaces, () => [])
      .watch(informers.claims, () => [])
      .watch(informers.volumes, () => [])
      .watch(informers.storageClasses, () => []);
    this.volumeLookup = {
      claim: (namespace, name) => informers.claims.getByName(namespace, name),
      volume: (name) => informers.volumes.getByName(undefined, name),
      volumes: () => informers.volumes.list(),
      storageClass: (name) => informers.storageClasses.getByName(undefined, name),
    };
  }

  async start(): Promise<void> {
    await this.controller.start();
    const retryAll = (): void => this.retryUnschedulable();
    // Pods and nodes may have changed while stopped, unseen by the handlers below.
    this.boundPods.clear();
    this.sortedNodes = undefined;
    const nodeChanged = (): void => {
      this.sortedNodes = undefined;
    };
    this.registrations = [
      this.informers.pods.addEventHandler({
        onAdd: (pod) => {
          this.forgetBoundPods(pod);
          return needsScheduling(pod) ? this.controller.enqueue(objectKey(pod)) : pod.spec?.nodeName && retryAll();
        },
        onUpdate: (old, pod) => {
          // A kubelet's status report does not change what a bound pod holds on its node: the node's list is kept.
          if (holdsDifferently(old, pod) && !this.addedBoundPod(old, pod)) this.forgetBoundPods(old, pod);
          this.podChanged(old, pod);
        },
        onDelete: (pod) => {
          this.forgetBoundPods(pod);
          this.assumed.delete(objectKey(pod));
          this.unschedulable.delete(objectKey(pod));
          this.waitingForVolumes.delete(objectKey(pod));
          if (pod.spec?.nodeName) retryAll();
        },
      }),
      this.informers.nodes.addEventHandler({
        onAdd: () => {
          nodeChanged();
          retryAll();
        },
        onUpdate: (old, node) => {
          nodeChanged();
          if (schedulingRelevant(old) !== schedulingRelevant(node)) retryAll();
        },
        onDelete: nodeChanged,
      }),
      // A claim created, bound or given up, a volume or class appearing: pods waiting on them may go now.
      ...[this.informers.claims, this.informers.volumes, this.informers.storageClasses].map((informer) =>
        informer.addEventHandler({ onAdd: retryAll, onUpdate: retryAll, onDelete: retryAll }),
      ),
    ];
  }

  async stop(): Promise<void> {
    for (const registration of this.registrations.splice(0)) registration.remove();
    await this.controller.stop();
  }

  private forgetBoundPods(...pods: Pod[]): void {
    for (const pod of pods) if (pod.spec?.nodeName) this.boundPods.delete(pod.spec.nodeName);
  }

  /**
   * A binding (the pod had no node, now has one and runs) adds the pod to its node's list and sums, as kube's cache
   * AddPod does, instead of a new sum over all of the node's pods. False when there is no list to extend.
   */
  private addedBoundPod(old: Pod, pod: Pod): boolean {
    const nodeName = pod.spec?.nodeName;
    if (old.spec?.nodeName || !nodeName || isTerminal(pod)) return false;
    const bound = this.boundPods.get(nodeName);
    if (!bound) return false;
    // The informer calls its handlers as it applies the binding, so no list was built from its index in between.
    this.boundPods.set(nodeName, withAddedPods(bound, [pod]));
    return true;
  }

  /** The node's bound pods that are not finished (pods of the informer's index, cached until one changes). */
  private boundPodsOf(nodeName: string): readonly Pod[] {
    let bound = this.boundPods.get(nodeName);
    if (!bound) {
      bound = Object.freeze(this.informers.pods.byIndex(this.informers.nodeNameIndex, nodeName).filter((pod) => !isTerminal(pod)));
      this.boundPods.set(nodeName, bound);
    }
    return bound;
  }

  private podChanged(old: Pod, pod: Pod): void {
    const key = objectKey(pod);
    if (pod.spec?.nodeName) {
      this.assumed.delete(key);
      this.unschedulable.delete(key);
      const freed = !isTerminal(old) && isTerminal(pod);
      if (freed || JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels)) this.retryUnschedulable();
      return;
    }
    // Our own status writes change nothing the filters read; only a new spec or labels deserve another try.
    const specChanged = JSON.stringify([old.spec, old.metadata.labels]) !== JSON.stringify([pod.spec, pod.metadata.labels]);
    if (needsScheduling(pod) && (specChanged || !needsScheduling(old))) this.controller.enqueue(key);
  }

  private retryUnschedulable(): void {
    for (const key of this.unschedulable) this.controller.enqueue(key);
    for (const key of this.waitingForVolumes) this.controller.enqueue(key);
  }

  private async schedule(key: string): Promise<void> {
    const pod = this.informers.pods.get(key);
    if (!pod || !needsScheduling(pod) || this.assumed.has(key)) {
      this.unschedulable.delete(key);
      this.waitingForVolumes.delete(key);
      return;
    }
    if (this.waitingForVolumes.has(key)) {
      if (claimsToBind(pod, this.volumeLookup).length > 0) return;
      this.waitingForVolumes.delete(key);
    }
    const snapshot = this.snapshot();
    const rejected = volumePreFilter(pod, this.volumeLookup);
    if (rejected) return this.recordUnschedulable(pod, preFilterMessage(snapshot.nodes.length, rejected));
    const { feasible, failures, nextStartIndex } = findFeasibleNodes(pod, snapshot, this.nextStartNodeIndex);
    this.nextStartNodeIndex = nextStartIndex;
    if (feasible.length === 0) return this.recordUnschedulable(pod, unschedulableMessage(failures));
    const nodeName = selectNode(pod, feasible, (count) => Math.floor(this.ctx.random.next() * count));
    const unbound = claimsToBind(pod, this.volumeLookup);
    if (unbound.length > 0) return this.bindVolumes(pod, unbound, feasible.find((info) => info.node.metadata.name === nodeName)!.node);
    await this.bind(pod, nodeName);
  }

  /**
   * VolumeBinding's PreBind: a provisioned claim is given the node (volume.kubernetes.io/selected-node) for its
   * provisioner, a static one its volume (claimRef, for the PV controller to finish); the pod binds once they are bound.
   */
  private async bindVolumes(pod: Pod, claims: PersistentVolumeClaim[], node: Node): Promise<void> {
    const key = objectKey(pod);
    this.unschedulable.delete(key);
    this.waitingForVolumes.add(key);
    const nodeName = node.metadata.name ?? '';
    for (const claim of claims) {
      try {
        if (isStaticClass(claim, this.volumeLookup)) {
          const volume = staticVolumeFor(claim, node, this.volumeLookup);
          if (!volume) continue;
          const { namespace, name, uid } = claim.metadata;
          const claimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid };
          await this.ctx.client.update<PersistentVolume>({ ...volume, spec: { ...volume.spec, claimRef } });
        } else if (!isClaimBound(claim) && claim.metadata.annotations?.[ANN_SELECTED_NODE] !== nodeName) {
          const annotations = { ...claim.metadata.annotations, [ANN_SELECTED_NODE]: nodeName };
          await this.ctx.client.update<PersistentVolumeClaim>({ ...claim, metadata: { ...claim.metadata, annotations } });
        }
      } catch (err) {
        // Someone else changed it meanwhile: the informer brings the change, which retries the pod.
        const code = (err as { code?: unknown }).code;
        if (code !== 409 && code !== 404) throw err;
        this.waitingForVolumes.delete(key);
        this.unschedulable.add(key);
      }
    }
  }

  private async bind(pod: Pod, nodeName: string): Promise<void> {
    const key = objectKey(pod);
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    // A frozen spec: its requests are summed once, however many cycles see the pod assumed.
    this.assumed.set(key, { ...pod, spec: Object.freeze({ ...pod.spec, nodeName }) });
    try {
      await bindPod(this.ctx.client, this.ctx.clock, namespace, name, nodeName);
    } catch (err) {
      this.assumed.delete(key);
      const code = (err as { code?: unknown }).code;
      // Bound by someone else meanwhile, or gone: nothing left to do for this pod.
      if (code === 409 || code === 404) return;
      throw err;
    }
    this.unschedulable.delete(key);
    void this.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`);
  }

  private async recordUnschedulable(pod: Pod, message: string): Promise<void> {
    this.unschedulable.add(objectKey(pod));
    void this.recorder.event(pod, 'Warning', 'FailedScheduling', message);
    const current = podCondition(pod, 'PodScheduled');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message) return;
    const condition = {
      type: 'PodScheduled',
      status: 'False' as const,
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: rfc3339(this.ctx.clock.now()),
    };
    try {
      await this.ctx.client.update<Pod>(
        { ...pod, status: { ...pod.status, conditions: withCondition(pod.status?.conditions, condition) } },
        { subresource: 'status' },
      );
    } catch (err) {
      // A pod deleted meanwhile needs no condition; a conflict means a newer pod, which comes back through the informer.
      const code = (err as { code?: unknown }).code;
      if (code !== 404 && code !== 409) throw err;
    }
  }

  /** Nodes by name with the pods that occupy them: bound ones that are not finished, plus the assumed ones. */
  private snapshot(): ClusterSnapshot {
    const { pods, nodes, namespaces } = this.informers;
    const assumedByNode = new Map<string, Pod[]>();
    for (const [key, pod] of this.assumed) {
      const seen = pods.get(key);
      if (!seen || seen.spec?.nodeName) {
        this.assumed.delete(key);
        continue;
      }
      const nodeName = pod.spec?.nodeName ?? '';
      assumedByNode.set(nodeName, [...(assumedByNode.get(nodeName) ?? []), pod]);
    }
    this.sortedNodes ??= nodes.list().sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    const infos = this.sortedNodes.map((node) => {
      const name = node.metadata.name ?? '';
      const bound = this.boundPodsOf(name);
      const assumed = assumedByNode.get(name);
      return { node, pods: assumed ? withAddedPods(bound, assumed) : bound };
    });
    return {
      nodes: infos,
      namespaceLabels: (namespace) => namespaces.getByName(undefined, namespace)?.metadata.labels,
      volumes: this.volumeLookup,
    };
  }
}
