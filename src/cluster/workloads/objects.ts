/**
 * The kinds kube-controller-manager's workload controllers read and write,
 * and typed views of the fields they look at. Objects stay plain JSON
 * (KubeObject); these interfaces only name the parts that are used.
 */
import type { KubeObject, ObjectMeta } from '../../api/types.js';
import type { LabelSelectorObject } from '../../api/selectors/label-selector.js';
import type { Toleration } from '../../kube/pods.js';

// Nodes and their taints, tolerations: the shared shapes of src/kube.
export type { Node, Taint } from '../../kube/nodes.js';
export type { Toleration } from '../../kube/pods.js';

export const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
export const NODE = { apiVersion: 'v1', kind: 'Node' } as const;
export const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' } as const;
export const SERVICE = { apiVersion: 'v1', kind: 'Service' } as const;
export const ENDPOINTS = { apiVersion: 'v1', kind: 'Endpoints' } as const;
export const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
export const SERVICE_ACCOUNT = { apiVersion: 'v1', kind: 'ServiceAccount' } as const;
export const ENDPOINT_SLICE = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' } as const;
export const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;
export const REPLICA_SET = { apiVersion: 'apps/v1', kind: 'ReplicaSet' } as const;
export const DAEMON_SET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
export const STATEFUL_SET = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;
export const CONTROLLER_REVISION = { apiVersion: 'apps/v1', kind: 'ControllerRevision' } as const;
export const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] }; [k: string]: unknown };
    [k: string]: unknown;
  };
  tolerations?: Toleration[];
  restartPolicy?: string;
  hostname?: string;
  subdomain?: string;
  containers?: Array<{ name: string; image?: string; ports?: Array<{ name?: string; containerPort: number; protocol?: string }> }>;
  [field: string]: unknown;
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: {
    phase?: string;
    conditions?: Condition[];
    podIP?: string;
    podIPs?: Array<{ ip: string }>;
    hostIP?: string;
    [k: string]: unknown;
  };
}

export interface ReplicaSet extends KubeObject {
  spec: { replicas?: number; minReadySeconds?: number; selector: LabelSelectorObject; template: PodTemplateSpec };
  status?: ReplicaSetStatus;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelectorObject;
    template: PodTemplateSpec;
    strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: DeploymentStatus;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: Condition[];
}

export interface DaemonSet extends KubeObject {
  spec: {
    selector: LabelSelectorObject;
    template: PodTemplateSpec;
    updateStrategy?: {
      type?: 'RollingUpdate' | 'OnDelete';
      rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
    };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
  };
  status?: Record<string, unknown>;
}

export interface StatefulSet extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelectorObject;
    template: PodTemplateSpec;
    serviceName?: string;
    podManagementPolicy?: 'OrderedReady' | 'Parallel';
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
  };
  status?: Record<string, unknown>;
}

export interface Job extends KubeObject {
  spec: {
    parallelism?: number;
    completions?: number | null;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    suspend?: boolean;
    selector?: LabelSelectorObject;
    manualSelector?: boolean;
    template: PodTemplateSpec;
    completionMode?: string;
  };
  status?: JobStatus;
}

export interface JobStatus {
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  ready?: number;
  terminating?: number;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  conditions?: Condition[];
}

export const nameOf = (obj: KubeObject): string => obj.metadata.name ?? '';
export const namespaceOf = (obj: KubeObject): string => obj.metadata.namespace ?? '';
