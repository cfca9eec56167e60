/**
 * Scheduling and disruption: kube-scheduler's default-scheduler, the
 * pods/binding and pods/eviction subresources, and the disruption controller
 * that keeps PodDisruptionBudget status for evictions to consult.
 */
import type { Component } from '../../runtime/component.js';
import { asController, asIdentity, type ComponentContext } from '../../runtime/component-context.js';
import { bindingHandler } from './binding.js';
import { disruptionController } from './disruption.js';
import { evictionHandler } from './eviction.js';
import { NAMESPACE, NODE, PDB, POD, type Node, type Pod, type PodDisruptionBudget } from './objects.js';
import { Scheduler } from './scheduler.js';
import { PV, PVC, STORAGE_CLASS, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from '../../kube/volumes.js';

/** Index of the shared pods informer by spec.nodeName; named after this folder so other components' indexes cannot clash. */
const NODE_NAME_INDEX = 'scheduling/spec.nodeName';

export function schedulingComponents(ctx: ComponentContext): Component[] {
  const pods = ctx.informers.informerFor<Pod>(POD);
  pods.addIndexer(NODE_NAME_INDEX, (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []));
  // The subresources are the API server's own handlers; the scheduler and the disruption controller act as themselves.
  const apiserver = asIdentity(ctx, { component: 'kube-apiserver' }).client;
  ctx.serveSubresource('/pods/binding', bindingHandler(apiserver, ctx.clock));
  ctx.serveSubresource('/pods/eviction', evictionHandler(apiserver, ctx.clock));
  const scheduler = new Scheduler(asIdentity(ctx, { component: 'kube-scheduler' }), {
    pods,
    nodes: ctx.informers.informerFor<Node>(NODE),
    namespaces: ctx.informers.informerFor(NAMESPACE),
    nodeNameIndex: NODE_NAME_INDEX,
    claims: ctx.informers.informerFor<PersistentVolumeClaim>(PVC),
    volumes: ctx.informers.informerFor<PersistentVolume>(PV),
    storageClasses: ctx.informers.informerFor<StorageClass>(STORAGE_CLASS),
  });
  const disruption = disruptionController(asController(ctx, 'disruption-controller'), {
    pdbs: ctx.informers.informerFor<PodDisruptionBudget>(PDB),
    pods,
    replicaSets: ctx.informers.informerFor({ apiVersion: 'apps/v1', kind: 'ReplicaSet' }),
    deployments: ctx.informers.informerFor({ apiVersion: 'apps/v1', kind: 'Deployment' }),
    statefulSets: ctx.informers.informerFor({ apiVersion: 'apps/v1', kind: 'StatefulSet' }),
    replicationControllers: ctx.informers.informerFor({ apiVersion: 'v1', kind: 'ReplicationController' }),
  });
  return [scheduler, disruption];
}
