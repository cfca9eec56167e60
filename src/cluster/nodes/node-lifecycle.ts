/**
 * kube-controller-manager's node lifecycle controller: a node whose kubelet
 * has neither renewed its Lease nor posted status for the grace period has
 * its conditions set to Unknown, gets the unreachable taints (NoSchedule for
 * the scheduler, NoExecute for the taint eviction controller), and its pods
 * are marked not Ready. When the kubelet posts Ready again the taints go.
 */
import { rfc3339 } from '../../runtime/clock.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import type { Pod, PodCondition } from '../../kube/pods.js';
import { podsOnNode } from './pod-index.js';
import {
  nodeCondition,
  NODE_LEASE_NAMESPACE,
  NODE_REF,
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  timeMs,
  type Lease,
  type Node,
  type NodeCondition,
  type Taint,
} from '../../kube/nodes.js';

/** --node-monitor-grace-period: 50 s since Kubernetes 1.32 (kubernetes/kubernetes#126287; 40 s before). */
export const NODE_MONITOR_GRACE_MS = 50_000;

const UNKNOWN_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export class NodeLifecycleController {
  readonly controller: Controller;
  private readonly recorder: EventRecorder;
  /** Nodes already announced with RegisteredNode. */
  private readonly registered = new Set<string>();

  constructor(
    private readonly ctx: ComponentContext,
    private readonly nodes: Informer<Node>,
    private readonly leases: Informer<Lease>,
    private readonly pods: Informer<Pod>,
  ) {
    this.recorder = new EventRecorder(ctx.client, ctx.clock, { component: 'node-controller' }, ctx.logger);
    this.controller = new Controller({
      name: 'node-lifecycle-controller',
      clock: ctx.clock,
      logger: ctx.logger,
      reconcile: (name) => this.reconcile(name),
    })
      .watch(nodes)
      .watch(leases, (lease) => [lease.metadata.name ?? '']);
  }

  private async reconcile(name: string): Promise<ReconcileResult> {
    let node = this.nodes.getByName(undefined, name);
    if (!node) {
      this.registered.delete(name);
      return;
    }
    if (!this.registered.has(name)) {
      this.registered.add(name);
      void this.nodeEvent(node, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
    }
    const nowMs = this.ctx.clock.nowMs();
    const lastSeenMs = this.lastSeenMs(node);
    const silentFor = nowMs - lastSeenMs;
    if (silentFor >= NODE_MONITOR_GRACE_MS) node = await this.markUnknown(node, nowMs);
    await this.syncTaints(node, nowMs);
    const ready = nodeCondition(node, 'Ready')?.status;
    if (ready !== 'True') await this.markPodsNotReady(node);
    // Look again when the grace period would run out without news.
    return silentFor < NODE_MONITOR_GRACE_MS ? { requeueAfterMs: NODE_MONITOR_GRACE_MS - silentFor } : undefined;
  }

  /** The latest sign of life: the Lease renewal or the Ready heartbeat, else the Node's creation. */
  private lastSeenMs(node: Node): number {
    const lease = this.leases.getByName(NODE_LEASE_NAMESPACE, node.metadata.name ?? '');
    const times = [
      timeMs(lease?.spec?.renewTime),
      timeMs(nodeCondition(node, 'Ready')?.lastHeartbeatTime),
      timeMs(node.metadata.creationTimestamp),
    ];
    return Math.max(...times.filter((t): t is number => t !== undefined));
  }

  private async markUnknown(node: Node, nowMs: number): Promise<Node> {
    const ready = nodeCondition(node, 'Ready');
    if (ready?.status === 'Unknown') return node;
    const now = rfc3339(new Date(nowMs));
    const neverPosted = ready === undefined;
    const [reason, message] = neverPosted
      ? ['NodeStatusNeverUpdated', 'Kubelet never posted node status.']
      : ['NodeStatusUnknown', 'Kubelet stopped posting node status.'];
    const existing = node.status?.conditions ?? [];
    const unknown = (type: string): NodeCondition => {
      const old = existing.find((c) => c.type === type);
      return { type, status: 'Unknown', lastHeartbeatTime: old?.lastHeartbeatTime ?? now, lastTransitionTime: now, reason, message };
    };
    const missing = UNKNOWN_CONDITIONS.filter((type) => !existing.some((c) => c.type === type));
    const conditions = [...existing.map((c) => (UNKNOWN_CONDITIONS.includes(c.type) ? unknown(c.type) : c)), ...missing.map(unknown)];
    const status = { ...node.status, conditions };
    const updated = await this.ctx.client.update<Node>({ ...node, status }, { subresource: 'status' });
    void this.nodeEvent(node, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`);
    return updated;
  }

  /** The taints that say why a node is not Ready: unreachable for Unknown, not-ready for False, none when Ready. */
  private async syncTaints(node: Node, nowMs: number): Promise<void> {
    const ready = nodeCondition(node, 'Ready')?.status;
    const key = ready === 'Unknown' ? TAINT_UNREACHABLE : ready === 'False' ? TAINT_NOT_READY : undefined;
    const taints = node.spec?.taints ?? [];
    const kept = taints.filter((t) => (t.key !== TAINT_UNREACHABLE && t.key !== TAINT_NOT_READY) || t.key === key);
    const wanted: Taint[] = key
      ? [
          { key, effect: 'NoSchedule' },
          { key, effect: 'NoExecute' },
        ]
      : [];
    const added = wanted
      .filter((w) => !kept.some((t) => t.key === w.key && t.effect === w.effect))
      .map((t) => ({ ...t, timeAdded: rfc3339(new Date(nowMs)) }));
    if (added.length === 0 && kept.length === taints.length) return;
    await this.ctx.client.update<Node>({ ...node, spec: { ...node.spec, taints: [...kept, ...added] } });
  }

  /** MarkPodsNotReady: the node's pods stop counting as Ready (endpoints drop them) until the kubelet says otherwise. */
  private async markPodsNotReady(node: Node): Promise<void> {
    const now = rfc3339(this.ctx.clock.now());
    for (const pod of podsOnNode(this.pods, node.metadata.name ?? '')) {
      const conditions = pod.status?.conditions ?? [];
      if (!conditions.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const updated: PodCondition[] = conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: now } : c));
      try {
        await this.ctx.client.update<Pod>({ ...pod, status: { ...pod.status, conditions: updated } }, { subresource: 'status' });
        void this.recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        this.ctx.logger.error(`node-lifecycle-controller: cannot mark pod ${pod.metadata.namespace}/${pod.metadata.name} not ready`, err);
      }
    }
  }

  private nodeEvent(node: Node, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const name = node.metadata.name ?? '';
    return this.recorder.event({ ...NODE_REF, metadata: { name, uid: name } }, type, reason, message);
  }
}
