/**
 * `isReady` of virt-operator: the operator looks at Deployment and DaemonSet
 * status counters and at the pods themselves. A pod counts only when it is
 * Running and Ready and carries the target install-strategy annotations;
 * pods are matched to their workload by name substring, as the operator does.
 */
import type { KubeObject } from '../../api/types.js';
import { isPodReady, type Pod } from '../../kube/pods.js';
import { ID_ANNOTATION, REGISTRY_ANNOTATION, VERSION_ANNOTATION } from './install-strategy/templating.js';

export interface StrategyStamp {
  version: string;
  registry: string;
  deploymentId: string;
}

interface WorkloadStatus {
  replicas?: number;
  readyReplicas?: number;
  desiredNumberScheduled?: number;
  numberReady?: number;
}

const statusOf = (obj: KubeObject): WorkloadStatus => (obj.status ?? {}) as WorkloadStatus;

const isUpToDate = (pod: Pod, stamp: StrategyStamp): boolean => {
  const annotations = pod.metadata.annotations ?? {};
  return (
    annotations[VERSION_ANNOTATION] === stamp.version &&
    annotations[REGISTRY_ANNOTATION] === stamp.registry &&
    annotations[ID_ANNOTATION] === stamp.deploymentId
  );
};

const runningPodsOf = (workload: KubeObject, pods: readonly Pod[]): Pod[] =>
  pods.filter(
    (pod) =>
      pod.metadata.namespace === workload.metadata.namespace &&
      (pod.metadata.name ?? '').includes(workload.metadata.name ?? '') &&
      pod.status?.phase === 'Running' &&
      !pod.metadata.deletionTimestamp,
  );

export function isDeploymentReady(deployment: KubeObject, pods: readonly Pod[], stamp: StrategyStamp): boolean {
  const status = statusOf(deployment);
  if (!status.replicas || !status.readyReplicas) return false;
  const running = runningPodsOf(deployment, pods);
  // A running pod from an older strategy means the rollout is not through.
  if (running.some((pod) => !isUpToDate(pod, stamp))) return false;
  return running.some((pod) => isPodReady(pod));
}

/** The workload's Running pods that are Ready and carry the target strategy annotations. */
export function updatedReadyPods(workload: KubeObject, pods: readonly Pod[], stamp: StrategyStamp): Pod[] {
  return runningPodsOf(workload, pods).filter((pod) => isPodReady(pod) && isUpToDate(pod, stamp));
}

export function isDaemonSetReady(daemonSet: KubeObject, pods: readonly Pod[], stamp: StrategyStamp): boolean {
  const status = statusOf(daemonSet);
  const desired = status.desiredNumberScheduled ?? 0;
  if (desired <= 0 || status.numberReady !== desired) return false;
  return updatedReadyPods(daemonSet, pods, stamp).length >= desired;
}

export function isWorkloadReady(workload: KubeObject, pods: readonly Pod[], stamp: StrategyStamp): boolean {
  return workload.kind === 'DaemonSet' ? isDaemonSetReady(workload, pods, stamp) : isDeploymentReady(workload, pods, stamp);
}
