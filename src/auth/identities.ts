/**
 * Who each simulated component acts as, as on a kubeadm/kind cluster:
 * kube-controller-manager's controllers as their kube-system ServiceAccounts
 * (--use-service-account-credentials, bound by the bootstrap controller roles),
 * its shared informers as system:kube-controller-manager, the scheduler as
 * system:kube-scheduler, each kubelet as system:node:<name>, KubeVirt's
 * components as the ServiceAccounts virt-operator runs them under, and the
 * API server's own subresource handlers as system:apiserver (system:masters).
 */
import { nodeUser } from './authorization/node-authorizer.js';
import { serviceAccountUser, type UserInfo } from './user.js';

/** The kube-system ServiceAccounts of the controllers the emulator runs (controller-roles.yaml names them). */
export type ControllerName =
  | 'namespace-controller'
  | 'generic-garbage-collector'
  | 'deployment-controller'
  | 'replicaset-controller'
  | 'daemon-set-controller'
  | 'statefulset-controller'
  | 'job-controller'
  | 'service-account-controller'
  | 'root-ca-cert-publisher'
  | 'endpoint-controller'
  | 'endpointslice-controller'
  | 'node-controller'
  | 'disruption-controller'
  | 'clusterrole-aggregation-controller'
  | 'persistent-volume-binder'
  | 'pod-garbage-collector';

export type ComponentIdentity =
  | { component: 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' }
  | { component: 'controller'; controller: ControllerName }
  | { component: 'kubelet'; node: string }
  | { component: 'virt-operator' | 'virt-controller' | 'virt-handler' | 'virt-api'; namespace: string; node?: string }
  /** A cluster add-on (kind's local-path provisioner, the CSI snapshot controller) under its own ServiceAccount. */
  | { component: 'addon'; agent: string; namespace: string; serviceAccount: string };

/** The extra a bound ServiceAccount token of a pod carries for the pod's node (ServiceAccountTokenPodNodeInfo, GA in 1.32). */
export const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';

const KUBEVIRT_SERVICE_ACCOUNTS = {
  'virt-operator': 'kubevirt-operator',
  'virt-controller': 'kubevirt-controller',
  'virt-handler': 'kubevirt-handler',
  'virt-api': 'kubevirt-apiserver',
} as const;

export function identityUser(identity: ComponentIdentity): UserInfo {
  switch (identity.component) {
    case 'kube-apiserver':
      return { username: 'system:apiserver', groups: ['system:masters', 'system:authenticated'] };
    case 'kube-controller-manager':
      return { username: 'system:kube-controller-manager', groups: ['system:authenticated'] };
    case 'kube-scheduler':
      return { username: 'system:kube-scheduler', groups: ['system:authenticated'] };
    case 'controller':
      return serviceAccountUser('kube-system', identity.controller);
    case 'kubelet':
      return nodeUser(identity.node);
    case 'addon':
      return serviceAccountUser(identity.namespace, identity.serviceAccount);
    default: {
      const user = serviceAccountUser(identity.namespace, KUBEVIRT_SERVICE_ACCOUNTS[identity.component]);
      // A DaemonSet pod's token names its node: virt-handler's node-restriction policy reads it.
      return identity.node ? { ...user, extra: { [NODE_NAME_EXTRA]: [identity.node] } } : user;
    }
  }
}

/** The User-Agent (and so the default field manager) a component's requests carry. */
export function identityAgent(identity: ComponentIdentity): string {
  switch (identity.component) {
    case 'controller':
      return 'kube-controller-manager';
    case 'kubelet':
      return 'kubelet';
    case 'addon':
      return identity.agent;
    default:
      return identity.component;
  }
}
