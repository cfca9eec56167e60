/**
 * The taint eviction controller (kube-controller-manager's taint manager):
 * a pod on a node with a NoExecute taint it does not tolerate is deleted at
 * once; one it tolerates for tolerationSeconds is deleted that long after the
 * taint was added; a toleration without seconds keeps it forever. The pod
 * gets the DisruptionTarget condition first, as Kubernetes does.
 */
import { rfc3339 } from '../../runtime/clock.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { POD_REF, type Pod, type Toleration } from '../../kube/pods.js';
import { podsOnNode } from './pod-index.js';
import { errorCode, timeMs, type Node, type Taint } from '../../kube/nodes.js';

/** Whether the toleration tolerates the taint (k8s.io/api core/v1 Toleration.ToleratesTaint). */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/**
 * When the pod must go, given the node's NoExecute taints: now (0) if one is
 * not tolerated, never (undefined) if all are tolerated without time limit,
 * else the earliest taint time plus the smallest tolerationSeconds among the
 * tolerations in use.
 */
export function evictionTimeMs(pod: Pod, taints: Taint[], nowMs: number): number | undefined {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return undefined;
  const tolerations = pod.spec.tolerations ?? [];
  let minSeconds = Infinity;
  for (const taint of noExecute) {
    const using = tolerations.filter((t) => tolerates(t, taint));
    if (using.length === 0) return nowMs;
    for (const toleration of using)
      if (toleration.tolerationSeconds !== undefined) minSeconds = Math.min(minSeconds, Math.max(0, toleration.tolerationSeconds));
  }
  if (minSeconds === Infinity) return undefined;
  const taintedSince = Math.min(...noExecute.map((t) => timeMs(t.timeAdded) ?? nowMs));
  return taintedSince + minSeconds * 1000;
}

export class TaintEvictionController {
  readonly controller: Controller;
  private readonly recorder: EventRecorder;

  constructor(
    private readonly ctx: ComponentContext,
    private readonly nodes: Informer<Node>,
    private readonly pods: Informer<Pod>,
  ) {
    this.recorder = new EventRecorder(ctx.client, ctx.clock, { component: 'taint-eviction-controller' }, ctx.logger);
    this.controller = new Controller({
      name: 'taint-eviction-controller',
      clock: ctx.clock,
      logger: ctx.logger,
      reconcile: (key) => this.reconcile(key),
    })
      .watch(pods, (pod) => (pod.spec?.nodeName ? [objectKey(pod)] : []))
      .watch(nodes, (node) =>
        node.spec?.taints?.some((t) => t.effect === 'NoExecute') ? podsOnNode(pods, node.metadata.name ?? '').map(objectKey) : [],
      );
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const pod = this.pods.get(key);
    if (!pod?.spec.nodeName || pod.metadata.deletionTimestamp) return;
    const node = this.nodes.getByName(undefined, pod.spec.nodeName);
    if (!node) return;
    const nowMs = this.ctx.clock.nowMs();
    const dueMs = evictionTimeMs(pod, node.spec?.taints ?? [], nowMs);
    if (dueMs === undefined) return;
    if (dueMs > nowMs) return { requeueAfterMs: dueMs - nowMs };
    await this.evict(pod, nowMs);
  }

  private async evict(pod: Pod, nowMs: number): Promise<void> {
    const { client } = this.ctx;
    const name = pod.metadata.name ?? '';
    void this.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${name}`);
    const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
    conditions.push({
      type: 'DisruptionTarget',
      status: 'True',
      lastTransitionTime: rfc3339(new Date(nowMs)),
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    try {
      await client.update<Pod>({ ...pod, status: { ...pod.status, conditions } }, { subresource: 'status' });
      await client.delete(POD_REF, pod.metadata.namespace, name, { preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (errorCode(err) !== 404) throw err;
    }
  }
}
