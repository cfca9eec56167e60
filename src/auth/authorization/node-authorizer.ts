/**
 * The Node authorizer for kubelets (user system:node:<name> in group
 * system:nodes), graph-free: a node may read and write its own Node and Lease,
 * and otherwise what the system:node rules allow; the objects kube reaches
 * through its node→pod→object graph (Secrets, ConfigMaps, PVCs, PVs,
 * ServiceAccount tokens) are refused here, since no simulated kubelet reads them.
 * It allows or has no opinion, as kube's does; RBAC decides afterwards.
 */
import type { UserInfo } from '../user.js';
import { bootstrapClusterRoleRules } from '../rbac/bootstrap-policy.js';
import { ruleAllowsResource } from '../rbac/rules.js';
import type { PolicyRule } from '../rbac/types.js';
import type { Decision, RequestAttributes } from './attributes.js';

export const NODES_GROUP = 'system:nodes';
const NODE_USER_PREFIX = 'system:node:';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_VERBS = ['get', 'create', 'update', 'patch', 'delete'];
export const OWN_LEASE_ONLY = 'can only access node lease with the same name as the requesting node';
const GRAPH_RESOURCES = new Set(['secrets', 'configmaps', 'persistentvolumeclaims', 'persistentvolumes', 'serviceaccounts']);

/** The node a kubelet's identity names, or undefined for every other user. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.username.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  return user.username.slice(NODE_USER_PREFIX.length) || undefined;
}

/** The identity a simulated kubelet acts as. */
export const nodeUser = (nodeName: string): UserInfo => ({
  username: `${NODE_USER_PREFIX}${nodeName}`,
  groups: [NODES_GROUP, 'system:authenticated'],
});

const noOpinion = (reason = ''): Decision => ({ allowed: false, reason });
const allow: Decision = { allowed: true, reason: '' };

let nodeRules: PolicyRule[] | undefined;

export function authorizeNode(nodeName: string, a: RequestAttributes): Decision {
  if (a.kind !== 'resource') return noOpinion();
  if (a.apiGroup === '' && GRAPH_RESOURCES.has(a.resource)) {
    return noOpinion(`no relationship found between node '${nodeName}' and this object`);
  }
  if (a.apiGroup === 'coordination.k8s.io' && a.resource === 'leases') {
    if (a.namespace !== NODE_LEASE_NAMESPACE || !LEASE_VERBS.includes(a.verb)) {
      return noOpinion('can only get, create, update, patch, or delete a node lease');
    }
    if (a.verb !== 'create' && a.name !== nodeName) return noOpinion(OWN_LEASE_ONLY);
    return allow;
  }
  nodeRules ??= bootstrapClusterRoleRules('system:node');
  return nodeRules.some((rule) => ruleAllowsResource(rule, a)) ? allow : noOpinion();
}
