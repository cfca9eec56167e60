/**
 * virt-handler's work on its Node: the device plugins register
 * devices.kubevirt.io/kvm, tun and vhost-net (patched into the node status,
 * only those keys, so the kubelet's own status writes keep them), the node
 * labeller adds its CPU and machine-type labels, and the heartbeat marks the
 * node schedulable and stamps kubevirt.io/heartbeat every minute (jittered
 * as wait.JitterUntil with factor 1.2). Stopping (the handler pod goes away)
 * marks the node unschedulable, as the handler does on shutdown.
 */
import { asIdentity, type ComponentContext } from '../../runtime/component-context.js';
import { NODE_REF, type Node } from '../../kube/nodes.js';
import { rfc3339, type TimerHandle } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import {
  DEVICE_PLUGIN_RESOURCES,
  HEARTBEAT_ANNOTATION,
  heartbeatLabels,
  labellerLabels,
  SKIP_LABELLING_ANNOTATION,
} from './node-labels.js';

export const HEARTBEAT_INTERVAL_MS = 60_000;
const HEARTBEAT_JITTER_FACTOR = 1.2;

export class NodeAgent implements Component {
  readonly name: string;
  private timer: TimerHandle | undefined;
  private running = false;
  private beat: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ComponentContext,
    private readonly nodeName: string,
  ) {
    this.name = `virt-handler-node-${nodeName}`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.beat = this.initialize().then(() => this.heartbeat());
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.beat;
    await this.patchNode({ metadata: { labels: { 'kubevirt.io/schedulable': 'false' } } }).catch((err: unknown) =>
      this.ctx.logger.error(`${this.name}: marking the node unschedulable failed`, err),
    );
  }

  /** Device plugins first (schedulable waits for them), then the labeller. */
  private async initialize(): Promise<void> {
    try {
      // Device plugins register with the kubelet, which reports their resources in the Node's status (as the node, not virt-handler).
      const kubelet = asIdentity(this.ctx, { component: 'kubelet', node: this.nodeName }).client;
      const resources = { capacity: DEVICE_PLUGIN_RESOURCES, allocatable: DEVICE_PLUGIN_RESOURCES };
      await kubelet.patch(NODE_REF, undefined, this.nodeName, 'strategic', { status: resources }, { subresource: 'status' });
      const node = await this.ctx.client.get<Node>(NODE_REF, undefined, this.nodeName);
      if (node.metadata.annotations?.[SKIP_LABELLING_ANNOTATION] === undefined)
        await this.patchNode({ metadata: { labels: labellerLabels() } });
    } catch (err) {
      this.ctx.logger.error(`${this.name}: registering the node failed`, err);
    }
  }

  private async heartbeat(): Promise<void> {
    if (!this.running) return;
    try {
      await this.patchNode({
        metadata: { labels: heartbeatLabels(true), annotations: { [HEARTBEAT_ANNOTATION]: rfc3339(this.ctx.clock.now()) } },
      });
    } catch (err) {
      this.ctx.logger.error(`${this.name}: heartbeat failed`, err);
    }
    if (!this.running) return;
    const waitMs = HEARTBEAT_INTERVAL_MS * (1 + this.ctx.random.next() * HEARTBEAT_JITTER_FACTOR);
    this.timer = this.ctx.clock.setTimeout(() => {
      this.beat = this.heartbeat();
    }, Math.round(waitMs));
  }

  private patchNode(patch: object): Promise<unknown> {
    return this.ctx.client.patch(NODE_REF, undefined, this.nodeName, 'strategic', patch);
  }
}
