/** Paths of the project's copies of the KubeVirt manifests the tests apply. */
import { fileURLToPath } from 'node:url';

export const operatorManifest = fileURLToPath(new URL('../../../schemas/kubevirt/manifests/kubevirt-operator.yaml', import.meta.url));
export const kubevirtCrManifest = fileURLToPath(new URL('../../../schemas/kubevirt/manifests/kubevirt-cr.yaml', import.meta.url));

/** The objects kubevirt-operator.yaml holds, as `kubectl apply` names them. */
export const operatorObjects = [
  'namespace/kubevirt',
  'customresourcedefinition.apiextensions.k8s.io/kubevirts.kubevirt.io',
  'priorityclass.scheduling.k8s.io/kubevirt-cluster-critical',
  'clusterrole.rbac.authorization.k8s.io/kubevirt.io:operator',
  'serviceaccount/kubevirt-operator',
  'role.rbac.authorization.k8s.io/kubevirt-operator',
  'rolebinding.rbac.authorization.k8s.io/kubevirt-operator-rolebinding',
  'clusterrole.rbac.authorization.k8s.io/kubevirt-operator',
  'clusterrolebinding.rbac.authorization.k8s.io/kubevirt-operator',
  'deployment.apps/virt-operator',
];
