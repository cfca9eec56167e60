/** The kinds virt-operator reads and writes, and its label selectors. */
import type { KindRef } from '../../client/client.js';

export const KUBEVIRT_REF: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt' };
export const DEPLOYMENT_REF: KindRef = { apiVersion: 'apps/v1', kind: 'Deployment' };
export const DAEMONSET_REF: KindRef = { apiVersion: 'apps/v1', kind: 'DaemonSet' };
export const POD_REF: KindRef = { apiVersion: 'v1', kind: 'Pod' };
export const NODE_REF: KindRef = { apiVersion: 'v1', kind: 'Node' };
export const CONFIGMAP_REF: KindRef = { apiVersion: 'v1', kind: 'ConfigMap' };
export const NAMESPACE_REF: KindRef = { apiVersion: 'v1', kind: 'Namespace' };
export const CRD_REF: KindRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

/** The operator's informers see only objects carrying this (`app.kubernetes.io/managed-by`). */
export const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by in (virt-operator,kubevirt-operator)';
export const OPERATOR_SELECTOR = 'kubevirt.io=virt-operator';
export const SCHEDULABLE_SELECTOR = 'kubevirt.io/schedulable=true';
export const INSTALL_STRATEGY_LABEL = 'kubevirt.io/install-strategy';

/** Every kind of operand, in the order uninstall deletes them (CRDs go first, separately). */
export const MANAGED_KINDS: KindRef[] = [
  DAEMONSET_REF,
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  DEPLOYMENT_REF,
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' },
  { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'Secret' },
  CONFIGMAP_REF,
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding' },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy' },
];
