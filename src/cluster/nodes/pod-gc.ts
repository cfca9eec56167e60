/**
 * The pod garbage collector's orphan sweep (kube-controller-manager's podgc, gcOrphaned): a pod bound to a node
 * that no longer exists is, after a quarantine of 40 s in which the node stays gone, marked Failed with the
 * DisruptionTarget condition DeletionByPodGC and force-deleted (grace 0): no kubelet is left to finish it. This is
 * how a dead machine's pods leave the API once its Node is deleted (the other sweeps, of terminated pods over the
 * threshold and of terminating pods on out-of-service nodes, are not simulated).
 */
import { rfc3339 } from '../../runtime/clock.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { POD_REF, type Pod } from '../../kube/pods.js';
import { errorCode, NODE_REF, type Node } from '../../kube/nodes.js';
import { podsOnNode } from './pod-index.js';

/** podgc's quarantineTime: how long a node must stay gone before its pods count as orphans. */
export const ORPHAN_QUARANTINE_MS = 40_000;

export class PodGarbageCollector {
  readonly controller: Controller;
  /** When each missing node was first found missing (this process's clock). */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly ctx: ComponentContext,
    private readonly nodes: Informer<Node>,
    private readonly pods: Informer<Pod>,
  ) {
    this.controller = new Controller({
      name: 'pod-garbage-collector',
      clock: ctx.clock,
      logger: ctx.logger,
      reconcile: (key) => this.reconcile(key),
    })
      .watch(pods, (pod) => (pod.spec?.nodeName ? [objectKey(pod)] : []))
      // Only a node's disappearance matters: its heartbeats (a status write every few seconds) must not sweep its pods.
      .watchChanges(nodes, (old, cur) => (old && !cur ? podsOnNode(pods, old.metadata.name ?? '').map(objectKey) : []));
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const pod = this.pods.get(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName) return;
    if (this.nodes.getByName(undefined, nodeName)) {
      this.missingSince.delete(nodeName);
      return;
    }
    const nowMs = this.ctx.clock.nowMs();
    const since = this.missingSince.get(nodeName) ?? nowMs;
    this.missingSince.set(nodeName, since);
    if (nowMs < since + ORPHAN_QUARANTINE_MS) return { requeueAfterMs: since + ORPHAN_QUARANTINE_MS - nowMs };
    // The informer may lag: podgc asks the API before it calls the node deleted.
    try {
      await this.ctx.client.get(NODE_REF, undefined, nodeName);
      return;
    } catch (err) {
      if (errorCode(err) !== 404) throw err;
    }
    await this.markFailedAndDelete(pod, nowMs);
  }

  /** podgc's markFailedAndDeletePodWithCondition: a server-side apply of the status as "PodGC", then a delete with grace 0. */
  private async markFailedAndDelete(pod: Pod, nowMs: number): Promise<void> {
    const { client } = this.ctx;
    const { namespace, name = '' } = pod.metadata;
    try {
      if (pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') {
        const condition = {
          type: 'DisruptionTarget',
          status: 'True',
          lastTransitionTime: rfc3339(new Date(nowMs)),
          reason: 'DeletionByPodGC',
          message: 'PodGC: node no longer exists',
        };
        const status = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { namespace, name },
          status: { phase: 'Failed', conditions: [condition] },
        };
        await client.patch(POD_REF, namespace, name, 'apply', status, { subresource: 'status', fieldManager: 'PodGC', force: true });
      }
      await client.delete(POD_REF, namespace, name, { gracePeriodSeconds: 0 });
    } catch (err) {
      if (errorCode(err) !== 404) throw err;
    }
  }
}
