/**
 * The group and version priorities kube-apiserver 1.32 registers its own
 * group-versions with (cmd/kube-apiserver/app/aggregator.go merged with
 * pkg/controlplane/apiserver's DefaultGenericAPIServicePriorities), and the
 * fixed pair the CRD registration controller gives every CRD group-version.
 */
export interface ApiServicePriority {
  group: number;
  version: number;
}

const builtinPriorities: Record<string, ApiServicePriority> = {
  v1: { group: 18000, version: 1 },
  'apps/v1': { group: 17800, version: 15 },
  'events.k8s.io/v1': { group: 17750, version: 15 },
  'authentication.k8s.io/v1': { group: 17700, version: 15 },
  'authorization.k8s.io/v1': { group: 17600, version: 15 },
  'autoscaling/v1': { group: 17500, version: 15 },
  'autoscaling/v2': { group: 17500, version: 30 },
  'batch/v1': { group: 17400, version: 15 },
  'certificates.k8s.io/v1': { group: 17300, version: 15 },
  'networking.k8s.io/v1': { group: 17200, version: 15 },
  'policy/v1': { group: 17100, version: 15 },
  'rbac.authorization.k8s.io/v1': { group: 17000, version: 15 },
  'storage.k8s.io/v1': { group: 16800, version: 15 },
  'apiextensions.k8s.io/v1': { group: 16700, version: 15 },
  'admissionregistration.k8s.io/v1': { group: 16700, version: 15 },
  'scheduling.k8s.io/v1': { group: 16600, version: 15 },
  'coordination.k8s.io/v1': { group: 16500, version: 15 },
  'node.k8s.io/v1': { group: 16300, version: 15 },
  'discovery.k8s.io/v1': { group: 16200, version: 15 },
  'flowcontrol.apiserver.k8s.io/v1': { group: 16100, version: 21 },
};

/** The priority of a built-in group-version, or undefined when kube registers no APIService for it. */
export const builtinApiServicePriority = (apiVersion: string): ApiServicePriority | undefined => builtinPriorities[apiVersion];

/** pkg/controller/crdregistration: "CRDs should have relatively low priority", versions sorted kube-like. */
export const customResourcePriority: ApiServicePriority = { group: 1000, version: 100 };
