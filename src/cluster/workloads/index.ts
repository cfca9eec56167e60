/**
 * kube-controller-manager's workload controllers: Deployments, ReplicaSets,
 * DaemonSets, StatefulSets and Jobs. They act only through the client.
 */
import type { Component } from '../../runtime/component.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { daemonSetController } from './daemonset-controller.js';
import { deploymentController } from './deployment-controller.js';
import { jobController } from './job-controller.js';
import { replicaSetController } from './replicaset-controller.js';
import { statefulSetController } from './statefulset-controller.js';

export function workloadComponents(ctx: ComponentContext): Component[] {
  return [deploymentController(ctx), replicaSetController(ctx), daemonSetController(ctx), statefulSetController(ctx), jobController(ctx)];
}
