/**
 * The simulated Kubernetes under the API: kubelets and node lifecycle, the
 * scheduler, and kube-controller-manager's controllers (workloads,
 * housekeeping, Service endpoints, ClusterRole aggregation), each under its own identity. They are always on (unless a fault stops
 * one) and reach the cluster only through the client. What else runs beside
 * them (KubeVirt, the emulator's faults) is the assembly point's business
 * (src/emulator.ts); nothing here knows of it.
 */
import { clusterRoleAggregationController } from '../auth/rbac/aggregation-controller.js';
import { CLUSTER_ROLE_REF, type RoleObject } from '../auth/rbac/types.js';
import { runAlways, type Elect } from '../kube/leader-election.js';
import type { Component } from '../runtime/component.js';
import { asController, type ComponentContext } from '../runtime/component-context.js';
import { housekeepingComponents, type HousekeepingOptions } from './housekeeping/index.js';
import { nodeComponents } from './nodes/index.js';
import { schedulingComponents } from './scheduling/index.js';
import { endpointsController } from './services/endpoints-controller.js';
import { storageComponents } from './volumes/index.js';
import { workloadComponents } from './workloads/index.js';

export interface ClusterOptions extends HousekeepingOptions {
  /** Worker nodes beside the control-plane node. */
  workers: number;
  /** Runs kube-scheduler and kube-controller-manager under their leader-election Leases (several emulators, one cluster). */
  elect?: Elect;
  /** The nodes this process adds and simulates (see KubeletManager); undefined: every node. */
  nodePrefix?: string;
}

export function clusterComponents(ctx: ComponentContext, options: ClusterOptions): Component[] {
  const elect = options.elect ?? runAlways;
  const nodes = nodeComponents(ctx, options.workers, options.nodePrefix);
  return [
    ...nodes.kubelets,
    ...elect({ namespace: 'kube-system', name: 'kube-scheduler' }, schedulingComponents(ctx)),
    ...elect({ namespace: 'kube-system', name: 'kube-controller-manager' }, [
      ...nodes.controllers,
      ...housekeepingComponents(ctx, options),
      ...workloadComponents(ctx),
      ...storageComponents(ctx),
      endpointsController(asController(ctx, 'endpoint-controller'), asController(ctx, 'endpointslice-controller')),
      clusterRoleAggregationController({
        ...asController(ctx, 'clusterrole-aggregation-controller'),
        clusterRoles: ctx.informers.informerFor<RoleObject>(CLUSTER_ROLE_REF),
      }),
    ]),
  ];
}
