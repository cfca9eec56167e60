/**
 * One node's kubelet: renews the node's Lease every heartbeat, posts the
 * node status when it changed or the report interval passed, and runs the
 * node's pods. Stopping it stops all three, as a stopped kubelet process
 * does: the pods keep their last status and nobody renews the Lease.
 */
import { rfc3339Micro, type TimerHandle } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import { EventRecorder } from '../../runtime/events.js';
import type { EventSource, Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import type { Pod } from '../../kube/pods.js';
import { KubeletPods } from './kubelet-pods.js';
import { mirrorPods } from './static-pods.js';
import type { NodeIdentity } from './node-template.js';
import { HEALTHY_EVENT_REASONS, kubeletNodeStatus, needsStatusUpdate, staleConditions } from './node-status.js';
import { errorCode, LEASE_REF, NODE_LEASE_NAMESPACE, NODE_REF, type Lease, type Node } from '../../kube/nodes.js';

/** kubelet's node lease duration (--node-lease-duration-seconds default). */
export const NODE_LEASE_DURATION_SECONDS = 40;

export interface KubeletOptions {
  ctx: ComponentContext;
  identity: NodeIdentity;
  /** The machine facts (nodeInfo) of this node. */
  machine: Record<string, string>;
  pods: Informer<Pod>;
  /** The changes of this node's pods. */
  podChanges: EventSource<Pod>;
  images: Set<string>;
  /** Normalized references whose pulls fail as the registry does not have them. */
  missingImages: ReadonlySet<string>;
  /** The node runs the control plane's static pods (kind's control-plane node) and publishes their mirror pods. */
  staticPods?: boolean;
}

export class Kubelet implements Component {
  readonly name: string;
  private readonly recorder: EventRecorder;
  private readonly pods: KubeletPods;
  private timer: TimerHandle | undefined;
  private running = false;
  private heartbeatDone: Promise<void> = Promise.resolve();
  /** The Lease as last written, so a renewal is one update (as kubelet's latestLease). */
  private lease: Lease | undefined;

  constructor(private readonly options: KubeletOptions) {
    const { ctx, identity } = options;
    this.name = `kubelet-${identity.name}`;
    this.recorder = new EventRecorder(ctx.client, ctx.clock, { component: 'kubelet', host: identity.name }, ctx.logger);
    this.pods = new KubeletPods({
      ctx,
      nodeName: identity.name,
      hostIP: identity.internalIP,
      podCIDR: identity.podCIDR,
      pods: options.pods,
      podChanges: options.podChanges,
      recorder: this.recorder,
      images: options.images,
      missingImages: options.missingImages,
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.lease = undefined;
    void this.recordNodeEvent('Starting', 'Starting kubelet.');
    this.heartbeatDone = this.heartbeat();
    await this.pods.controller.start();
    if (this.options.staticPods) void this.publishMirrorPods();
  }

  /** Creates the mirror pod of each static pod that has none (after a restart, only the missing ones). */
  private async publishMirrorPods(): Promise<void> {
    const { ctx, identity } = this.options;
    try {
      const node = await ctx.client.get<Node>(NODE_REF, undefined, identity.name);
      // config.seen is a Go time.Time printed with nanoseconds.
      const seen = rfc3339Micro(ctx.clock.now()).replace(/Z$/, '000Z');
      for (const pod of mirrorPods(identity, node.metadata.uid ?? '', seen)) {
        if (this.options.pods.getByName(pod.metadata.namespace, pod.metadata.name ?? '')) continue;
        try {
          await ctx.client.create(pod);
        } catch (err) {
          if (errorCode(err) !== 409) throw err;
        }
      }
    } catch (err) {
      ctx.logger.error(`${this.name}: publishing mirror pods failed`, err);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.options.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.pods.controller.stop();
    await this.heartbeatDone;
  }

  private async heartbeat(): Promise<void> {
    const { ctx } = this.options;
    try {
      await this.renewLease();
      await this.syncNodeStatus();
    } catch (err) {
      ctx.logger.error(`${this.name}: heartbeat failed`, err);
    }
    if (!this.running) return;
    this.timer = ctx.clock.setTimeout(() => {
      this.heartbeatDone = this.heartbeat();
    }, ctx.profile.nodeHeartbeatMs);
  }

  private async renewLease(): Promise<void> {
    const { ctx, identity } = this.options;
    const renewTime = rfc3339Micro(ctx.clock.now());
    try {
      const current = this.lease ?? (await this.getLease());
      this.lease = current
        ? await ctx.client.update<Lease>({
            ...current,
            spec: { ...current.spec, holderIdentity: identity.name, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime },
          })
        : await ctx.client.create<Lease>(await this.newLease(renewTime));
    } catch (err) {
      // Read it again next time: someone else wrote it (409), or it was deleted (404).
      this.lease = undefined;
      throw err;
    }
  }

  private async getLease(): Promise<Lease | undefined> {
    try {
      return await this.options.ctx.client.get<Lease>(LEASE_REF, NODE_LEASE_NAMESPACE, this.options.identity.name);
    } catch (err) {
      if (errorCode(err) === 404) return undefined;
      throw err;
    }
  }

  /** The Lease belongs to its Node, so deleting the Node collects it. */
  private async newLease(renewTime: string): Promise<Lease> {
    const { ctx, identity } = this.options;
    const node = await ctx.client.get<Node>(NODE_REF, undefined, identity.name);
    return {
      ...LEASE_REF,
      metadata: {
        name: identity.name,
        namespace: NODE_LEASE_NAMESPACE,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: identity.name, uid: node.metadata.uid ?? '' }],
      },
      spec: { holderIdentity: identity.name, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime },
    };
  }

  private async syncNodeStatus(): Promise<void> {
    const { ctx, identity, machine } = this.options;
    let node: Node;
    try {
      node = await ctx.client.get<Node>(NODE_REF, undefined, identity.name);
    } catch (err) {
      if (errorCode(err) === 404) return; // deleted: the kubelet manager stops this kubelet
      throw err;
    }
    const now = ctx.clock.now();
    if (!needsStatusUpdate(node, now.getTime())) return;
    const corrected = staleConditions(node);
    await ctx.client.update<Node>({ ...node, status: kubeletNodeStatus(node, identity, machine, now) }, { subresource: 'status' });
    for (const type of corrected)
      void this.recordNodeEvent(HEALTHY_EVENT_REASONS[type], `Node ${identity.name} status is now: ${HEALTHY_EVENT_REASONS[type]}`);
  }

  /** Node events name the node by its name as uid, as kubelet's node reference does. */
  private recordNodeEvent(reason: string, message: string): Promise<void> {
    const name = this.options.identity.name;
    return this.recorder.event({ ...NODE_REF, metadata: { name, uid: name } }, 'Normal', reason, message);
  }
}
