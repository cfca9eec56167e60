/**
 * KubeVirt's simulated components, for the assembly point to run beside the
 * cluster: virt-operator, virt-controller and virt-handler. Each writes as
 * its own service account, as on a cluster (virt-api tells them apart), so
 * the caller gives a context per service account. Each runs as its pods do:
 * virt-operator while its Deployment has a ready pod, virt-controller while
 * its Deployment has one, virt-handler on a node while its DaemonSet pod
 * runs there; the components gate themselves on that.
 */
import { runAlways, type Elect } from '../kube/leader-election.js';
import type { Component } from '../runtime/component.js';
import type { ComponentContext } from '../runtime/component-context.js';
import { virtControllerComponents } from './controller/index.js';
import { virtHandlerComponents } from './handler/index.js';
import { kubevirtOperatorComponents } from './operator/index.js';

/** The namespace KubeVirt's service accounts live in (kubevirt-operator.yaml installs into it). */
export const KUBEVIRT_SERVICE_ACCOUNT_NAMESPACE = 'kubevirt';

/** KubeVirt's components that run as a ServiceAccount of their own (virt-api's is given to its handlers apart). */
export type KubeVirtComponent = 'virt-operator' | 'virt-controller' | 'virt-handler';

/** Several emulators, one cluster: who runs what. */
export interface KubeVirtPlacement {
  /** Runs virt-operator and virt-controller under their Leases in the kubevirt namespace. */
  elect?: Elect;
  /** The nodes whose virt-handler this process simulates. */
  ownsNode?: (nodeName: string) => boolean;
}

export function kubevirtComponents(
  contextAs: (component: KubeVirtComponent) => ComponentContext,
  { elect = runAlways, ownsNode }: KubeVirtPlacement = {},
): Component[] {
  return [
    ...elect(
      { namespace: KUBEVIRT_SERVICE_ACCOUNT_NAMESPACE, name: 'virt-operator' },
      kubevirtOperatorComponents(contextAs('virt-operator')),
    ),
    ...elect(
      { namespace: KUBEVIRT_SERVICE_ACCOUNT_NAMESPACE, name: 'virt-controller' },
      virtControllerComponents(contextAs('virt-controller')),
    ),
    ...virtHandlerComponents(contextAs('virt-handler'), ownsNode),
  ];
}
