/**
 * kube-controller-manager's workload controllers: Deployments, ReplicaSets,
 * DaemonSets, StatefulSets and Jobs. They act only through the client.
 */
import type { Component } from '../../runtime/component.js';
import { asController, type ComponentContext } from '../../runtime/component-context.js';
import { daemonSetController } from './daemonset-controller.js';
import { deploymentController } from './deployment-controller.js';
import { jobController } from './job-controller.js';
import { replicaSetController } from './replicaset-controller.js';
import { statefulSetController } from './statefulset-controller.js';

export function workloadComponents(ctx: ComponentContext): Component[] {
  return [
    deploymentController(asController(ctx, 'deployment-controller')),
    replicaSetController(asController(ctx, 'replicaset-controller')),
    daemonSetController(asController(ctx, 'daemon-set-controller')),
    statefulSetController(asController(ctx, 'statefulset-controller')),
    jobController(asController(ctx, 'job-controller')),
  ];
}
