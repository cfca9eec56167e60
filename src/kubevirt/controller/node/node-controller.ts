/**
 * virt-controller's node controller (pkg/virt-controller/watch/node): a node
 * whose virt-handler heartbeat (`kubevirt.io/heartbeat`) is more than five
 * minutes old, or that is gone, is marked unschedulable for VMs, and its
 * Scheduled/Running VMIs whose launcher pod is no longer alive are failed
 * with reason NodeUnresponsive; when no virt-handler pod is left on it while
 * the DaemonSet is healthy, a Warning says its VMIs are orphaned. Rechecked
 * every minute.
 */
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { Pod } from '../../../kube/pods.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import type { Informer } from '../../../runtime/informer.js';
import type { KubeObject } from '../../../api/types.js';
import {
  ANNOTATION_HEARTBEAT,
  DAEMONSET_REF,
  LABEL_NODE_NAME,
  LABEL_SCHEDULABLE,
  NODE_REF,
  POD_REF,
  VIRT_HANDLER_SELECTOR,
  VMI_REF,
} from '../constants.js';
import { owningVmi } from '../vmi/launcher-pod-state.js';
import type { VirtualMachineInstance } from '../types.js';

export const HEARTBEAT_TIMEOUT_MS = 5 * 60_000;
export const RECHECK_INTERVAL_MS = 60_000;
/** VMIs by their kubevirt.io/nodeName label and pods by spec.nodeName: a node's check reads that node's objects only. */
const VMIS_BY_NODE_LABEL = 'virt-controller/node-label';
const PODS_BY_NODE = 'virt-controller/spec.nodeName';

export interface NodeControllerDeps {
  ctx: ComponentContext;
  nodes: Informer;
  vmis: Informer<VirtualMachineInstance>;
  pods: Informer<Pod>;
  recorder: EventRecorder;
}

/** Unresponsive: gone, or a heartbeat older than the timeout (a node that never had one is not). */
export function isNodeUnresponsive(node: KubeObject | undefined, nowMs: number): boolean {
  if (!node) return true;
  const heartbeat = node.metadata.annotations?.[ANNOTATION_HEARTBEAT];
  if (!heartbeat) return false;
  const at = Date.parse(heartbeat);
  return !Number.isNaN(at) && at < nowMs - HEARTBEAT_TIMEOUT_MS;
}

/** Alive: not Succeeded/Failed and not every container terminated. */
const isPodAlive = (pod: Pod): boolean => {
  const statuses = pod.status?.containerStatuses ?? [];
  const allTerminated = statuses.length > 0 && statuses.every((s) => s.state?.terminated !== undefined);
  return !allTerminated && pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded';
};

export class NodeController implements Component {
  readonly name = 'virt-controller/node';
  private readonly controller: Controller;

  constructor(private readonly deps: NodeControllerDeps) {
    this.controller = new Controller({
      name: this.name,
      clock: deps.ctx.clock,
      logger: deps.ctx.logger,
      reconcile: (key) => this.reconcile(key),
    });
    deps.vmis.ensureIndexer(VMIS_BY_NODE_LABEL, (vmi) => {
      const node = vmi.metadata.labels?.[LABEL_NODE_NAME];
      return node ? [node] : [];
    });
    deps.pods.ensureIndexer(PODS_BY_NODE, (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []));
    this.controller.watch(deps.nodes);
    this.controller.watch(deps.vmis, (vmi) => (vmi.status?.nodeName ? [vmi.status.nodeName] : []));
  }

  start(): Promise<void> {
    return this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(nodeName: string): Promise<ReconcileResult> {
    const { ctx, recorder } = this.deps;
    const node = this.deps.nodes.get(nodeName);
    if (isNodeUnresponsive(node, ctx.clock.nowMs())) {
      if (node && node.metadata.labels?.[LABEL_SCHEDULABLE] === 'true') {
        void recorder.event(node, 'Normal', 'NodeUnresponsive', 'virt-handler is not responsive, marking node as unresponsive');
        await ctx.client.patch(NODE_REF, undefined, nodeName, 'strategic', { metadata: { labels: { [LABEL_SCHEDULABLE]: 'false' } } });
      }
      if (node && this.activeVmis(nodeName).length > 0) await this.reportOrphans(node);
      for (const vmi of this.strandedVmis(nodeName)) {
        void recorder.event(
          vmi,
          'Normal',
          'NodeUnresponsive',
          `virt-handler on node ${vmi.status?.nodeName ?? ''} is not responsive, marking VMI as failed`,
        );
        await ctx.client.patch(VMI_REF, vmi.metadata.namespace, vmi.metadata.name ?? '', 'json', [
          { op: 'replace', path: '/status/phase', value: 'Failed' },
          { op: 'add', path: '/status/reason', value: 'NodeUnresponsive' },
        ]);
      }
    }
    return node ? { requeueAfterMs: RECHECK_INTERVAL_MS } : undefined;
  }

  /** Scheduled or Running VMIs labelled with the node. */
  private activeVmis(nodeName: string): VirtualMachineInstance[] {
    return this.deps.vmis
      .byIndex(VMIS_BY_NODE_LABEL, nodeName)
      .filter((vmi) => vmi.status?.phase === 'Scheduled' || vmi.status?.phase === 'Running');
  }

  /** Active VMIs whose launcher pod on the node is not alive. */
  private strandedVmis(nodeName: string): VirtualMachineInstance[] {
    const alivePodOwners = new Set(
      this.deps.pods
        .byIndex(PODS_BY_NODE, nodeName)
        .filter(isPodAlive)
        .map((pod) => owningVmi(pod)?.uid),
    );
    return this.activeVmis(nodeName).filter((vmi) => !alivePodOwners.has(vmi.metadata.uid));
  }

  /**
   * No virt-handler pod on the node although its DaemonSet is healthy: nothing
   * will look after the VMIs there. (With an unhealthy DaemonSet a handler pod
   * may still come, so the node is only rechecked.) Asked of the API, as the
   * real controller does, since it keeps no informer of handler pods.
   */
  private async reportOrphans(node: KubeObject): Promise<void> {
    const { client } = this.deps.ctx;
    const nodeName = node.metadata.name ?? '';
    const handlers = await client.list<Pod>(POD_REF, { labelSelector: VIRT_HANDLER_SELECTOR, fieldSelector: `spec.nodeName=${nodeName}` });
    if (handlers.items.length > 0) return;
    const daemonSets = await client.list(DAEMONSET_REF, { labelSelector: VIRT_HANDLER_SELECTOR });
    // KubeVirt returns an error here (and so never fails the VMIs); without exactly one handler DaemonSet
    // nobody can tell whether a handler will come, so the emulator only leaves the event out.
    if (daemonSets.items.length !== 1) return;
    const status = (daemonSets.items[0]!.status ?? {}) as {
      desiredNumberScheduled?: number;
      currentNumberScheduled?: number;
      numberReady?: number;
    };
    const desired = status.desiredNumberScheduled ?? 0;
    if (desired !== (status.currentNumberScheduled ?? 0) && desired !== (status.numberReady ?? 0)) return;
    void this.deps.recorder.event(
      node,
      'Warning',
      'NodeUnresponsive',
      'virt-handler is not present, there are orphaned vmis on this node. Run virt-handler on this node to migrate or remove them.',
    );
  }
}
