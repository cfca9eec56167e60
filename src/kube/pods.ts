/**
 * Small helpers about pods that several cluster components share (kubelet,
 * scheduler, workload controllers): the typed shape of the pod fields they
 * read, readiness and terminal phase, resource requests and QoS class.
 */
import type { KubeObject } from '../api/types.js';
import { parseQuantity, parseResourceList } from './quantity.js';

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface Probe {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  [field: string]: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  recursiveReadOnly?: string;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  resources?: ResourceRequirements;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  /** Only on init containers: "Always" makes a sidecar that keeps running. */
  restartPolicy?: string;
  volumeMounts?: VolumeMount[];
  [field: string]: unknown;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: '' | 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface PodSpec {
  nodeName?: string;
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean;
  tolerations?: Toleration[];
  overhead?: Record<string, string>;
  readinessGates?: Array<{ conditionType: string }>;
  [field: string]: unknown;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}

export interface ContainerStateRunning {
  startedAt?: string;
}

export interface ContainerStateTerminated {
  exitCode: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}

export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  state?: ContainerState;
  lastState?: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started?: boolean;
  volumeMounts?: VolumeMount[];
}

export interface PodIP {
  ip: string;
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions?: PodCondition[];
  message?: string;
  reason?: string;
  hostIP?: string;
  hostIPs?: PodIP[];
  podIP?: string;
  podIPs?: PodIP[];
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  qosClass?: 'Guaranteed' | 'Burstable' | 'BestEffort';
  [field: string]: unknown;
}

export interface Pod extends KubeObject {
  spec: PodSpec;
  status?: PodStatus;
}

export const POD_REF = { apiVersion: 'v1', kind: 'Pod' } as const;

export const podCondition = (pod: Pod, type: string): PodCondition | undefined => pod.status?.conditions?.find((c) => c.type === type);

export const isPodReady = (pod: Pod): boolean => podCondition(pod, 'Ready')?.status === 'True';

/** Succeeded or Failed: the pod will never run again. */
export const isPodTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** A container's requests; a resource with only a limit requests its limit, as the API server defaults it. */
function containerRequests(container: Container): Record<string, number> {
  return { ...parseResourceList(container.resources?.limits), ...parseResourceList(container.resources?.requests) };
}

function addInto(total: Record<string, number>, add: Record<string, number>): void {
  for (const [resource, value] of Object.entries(add)) total[resource] = (total[resource] ?? 0) + value;
}

function maxInto(total: Record<string, number>, other: Record<string, number>): void {
  for (const [resource, value] of Object.entries(other)) total[resource] = Math.max(total[resource] ?? 0, value);
}

/**
 * What the scheduler reserves for a pod (component-helpers' PodRequests): the
 * sum of its containers' requests, at least the largest init container (plus
 * the sidecars started before it), plus the pod overhead. Cpu in millicores,
 * memory and storage in bytes.
 */
export function podRequests(pod: Pod): Record<string, number> {
  const total: Record<string, number> = {};
  for (const container of pod.spec.containers ?? []) addInto(total, containerRequests(container));
  const sidecars: Record<string, number> = {};
  const initPeak: Record<string, number> = {};
  for (const init of pod.spec.initContainers ?? []) {
    const requests = containerRequests(init);
    if (init.restartPolicy === 'Always') {
      addInto(sidecars, requests);
      maxInto(initPeak, { ...sidecars });
    } else {
      const running = { ...sidecars };
      addInto(running, requests);
      maxInto(initPeak, running);
    }
  }
  addInto(total, sidecars);
  maxInto(total, initPeak);
  addInto(total, parseResourceList(pod.spec.overhead));
  return total;
}

/** The pod's QoS class as Kubernetes computes it from requests and limits of cpu and memory. */
export function podQosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];
  const computeResources = ['cpu', 'memory'];
  let anySet = false;
  let guaranteed = true;
  for (const container of containers) {
    const requests = container.resources?.requests ?? {};
    const limits = container.resources?.limits ?? {};
    for (const resource of computeResources) {
      const request = requests[resource] ?? limits[resource];
      const limit = limits[resource];
      if (request !== undefined && parseQuantity(request) !== 0) anySet = true;
      if (limit !== undefined && parseQuantity(limit) !== 0) anySet = true;
      if (limit === undefined || request === undefined || parseQuantity(request) !== parseQuantity(limit)) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
