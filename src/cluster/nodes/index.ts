/**
 * The nodes of the simulated cluster: one kubelet per Node (pods, Lease,
 * node status), the pods/log subresource the kubelets answer, and the parts
 * of kube-controller-manager that watch nodes: the node lifecycle controller
 * the taint eviction controller and the pod garbage collector's orphan sweep.
 *
 * Faults: `nodeFaults(ctx)` (or `nodeFaults(emulator.clock)`) gives the
 * NodeFaults of the cluster, available once nodeComponents(ctx) was called,
 * to stop and start a node's kubelet as if its process died or came back.
 * The registry is keyed by the cluster's Clock: each emulator has its own,
 * and both the components (ctx.clock) and the emulator's user hold it.
 */
import type { Clock } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import { asController, asIdentity, type ComponentContext } from '../../runtime/component-context.js';
import { POD_REF, type Pod } from '../../kube/pods.js';
import { normalizeImage } from './images.js';
import { KubeletManager } from './kubelets.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { LEASE_REF, NODE_LEASE_NAMESPACE, NODE_REF, type Lease, type Node } from '../../kube/nodes.js';
import { indexPodsByNode } from './pod-index.js';
import { PodLogServer } from './pod-logs.js';
import { TaintEvictionController } from './taint-eviction.js';
import { PodGarbageCollector } from './pod-gc.js';
import { serveContainerStreams } from '../exec/index.js';
import { servePortForward } from '../exec/port-forward.js';

export { defaultTolerationSecondsPlugin } from './default-tolerations.js';
export { CLUSTER_NAME, CONTROL_PLANE_NODE, ownedByPrefix, workerName } from './node-template.js';

export interface NodeFaults {
  /** Stops the node's kubelet: its Lease and status go stale and its pods are left as they are. */
  stopKubelet(nodeName: string): Promise<void>;
  /** Starts the node's kubelet again; it posts Ready and resumes its pods. */
  startKubelet(nodeName: string): Promise<void>;
  isKubeletRunning(nodeName: string): boolean;
  /** Pulls of the image fail on every node, as for an image its registry does not have, until allowImagePulls. */
  failImagePulls(image: string): void;
  allowImagePulls(image: string): void;
}

const faultsByClock = new WeakMap<Clock, NodeFaults>();

/** The node faults of the cluster built from `ctx` (or running on `clock`); throws if it has no node components. */
export function nodeFaults(owner: ComponentContext | Clock): NodeFaults {
  const faults = faultsByClock.get('clock' in owner ? owner.clock : owner);
  if (!faults) throw new Error('nodeFaults: no node components were created for this cluster');
  return faults;
}

/** The nodes' own components (kubelets, pods/log), and kube-controller-manager's node controllers. */
export interface NodeComponents {
  kubelets: Component[];
  controllers: Component[];
}

/** The cluster's nodes: the control-plane node and `workers` worker nodes, registered at start. */
export function nodeComponents(ctx: ComponentContext, workers: number, nodePrefix?: string): NodeComponents {
  const nodes = ctx.informers.informerFor<Node>(NODE_REF);
  const leases = ctx.informers.informerFor<Lease>(LEASE_REF, { namespace: NODE_LEASE_NAMESPACE });
  const pods = indexPodsByNode(ctx.informers.informerFor<Pod>(POD_REF));

  const kubelets = new KubeletManager(asController(ctx, 'node-controller'), nodes, pods, workers, nodePrefix);
  faultsByClock.set(ctx.clock, {
    stopKubelet: (name) => kubelets.stopKubelet(name),
    startKubelet: (name) => kubelets.startKubelet(name),
    isKubeletRunning: (name) => kubelets.isKubeletRunning(name),
    failImagePulls: (image) => kubelets.missingImages.add(normalizeImage(image)),
    allowImagePulls: (image) => kubelets.missingImages.delete(normalizeImage(image)),
  });
  const logs = new PodLogServer(asIdentity(ctx, { component: 'kube-apiserver' }), pods);
  ctx.serveSubresource('/pods/log', logs.serve);
  serveContainerStreams(asIdentity(ctx, { component: 'kube-apiserver' }));
  servePortForward(asIdentity(ctx, { component: 'kube-apiserver' }));

  return {
    kubelets: [kubelets, logs],
    controllers: [
      new NodeLifecycleController(asController(ctx, 'node-controller'), nodes, leases, pods).controller,
      new TaintEvictionController(asController(ctx, 'node-controller'), nodes, pods).controller,
      new PodGarbageCollector(asController(ctx, 'pod-garbage-collector'), nodes, pods).controller,
    ],
  };
}
