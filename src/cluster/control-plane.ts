/**
 * The simulated Kubernetes under the API: kubelets and node lifecycle, the
 * scheduler, and kube-controller-manager's controllers (workloads,
 * housekeeping, Service endpoints). They are always on (unless a fault stops
 * one) and reach the cluster only through the client. What else runs beside
 * them (KubeVirt, the emulator's faults) is the assembly point's business
 * (src/emulator.ts); nothing here knows of it.
 */
import type { Component } from '../runtime/component.js';
import type { ComponentContext } from '../runtime/component-context.js';
import { housekeepingComponents, type HousekeepingOptions } from './housekeeping/index.js';
import { nodeComponents } from './nodes/index.js';
import { schedulingComponents } from './scheduling/index.js';
import { endpointsController } from './services/endpoints-controller.js';
import { workloadComponents } from './workloads/index.js';

export interface ClusterOptions extends HousekeepingOptions {
  /** Worker nodes beside the control-plane node. */
  workers: number;
}

export function clusterComponents(ctx: ComponentContext, options: ClusterOptions): Component[] {
  return [
    ...nodeComponents(ctx, options.workers),
    ...schedulingComponents(ctx),
    ...housekeepingComponents(ctx, options),
    ...workloadComponents(ctx),
    endpointsController(ctx),
  ];
}
