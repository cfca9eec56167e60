/**
 * kube's Node authorizer for kubelets (user system:node:<name> in group
 * system:nodes), as 1.32 runs it (AuthorizeNodeWithSelectors on): Secrets,
 * ConfigMaps, PVCs, PVs, ResourceClaims, VolumeAttachments and ServiceAccount
 * tokens only when the node authorizer graph relates them to the node
 * (node-graph.ts); its own Node, Lease and CSINode; pods bound to it, listed
 * through a spec.nodeName field selector; everything else by the system:node
 * rules. It allows or has no opinion, with kube's reasons; RBAC decides
 * afterwards. Reasons and rules: plugin/pkg/auth/authorizer/node/node_authorizer.go.
 */
import type { UserInfo } from '../user.js';
import { bootstrapClusterRoleRules } from '../rbac/bootstrap-policy.js';
import { ruleAllowsResource } from '../rbac/rules.js';
import type { PolicyRule } from '../rbac/types.js';
import type { Decision, RequestAttributes, ResourceAttributes } from './attributes.js';
import type { GraphResource, NodeGraph } from './node-graph.js';

export const NODES_GROUP = 'system:nodes';
const NODE_USER_PREFIX = 'system:node:';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const OWN_OBJECT_VERBS = ['get', 'create', 'update', 'patch', 'delete'];
export const OWN_LEASE_ONLY = 'can only access node lease with the same name as the requesting node';

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

/** Whether a field selector requires `field` to equal `value` (a term `field=value` or `field==value`, `\` escapes). */
export function selectsExactly(fieldSelector: string | undefined, field: string, value: string): boolean {
  if (!fieldSelector) return false;
  return fieldSelector.split(/(?<!\\),/).some((term) => {
    const match = /^\s*([^=!\s]+)\s*==?(.*)$/.exec(term);
    return match?.[1] === field && match[2].replace(/\\(.)/g, '$1') === value;
  });
}

type Attributes = { kind: 'resource' } & ResourceAttributes;

export class NodeAuthorizer {
  private nodeRules: PolicyRule[] | undefined;

  constructor(private readonly graph: NodeGraph) {}

  authorize(nodeName: string, a: RequestAttributes): Decision {
    if (a.kind === 'resource') {
      const decision = this.subdivided(nodeName, a);
      if (decision) return decision;
    }
    this.nodeRules ??= bootstrapClusterRoleRules('system:node');
    return a.kind === 'resource' && this.nodeRules.some((rule) => ruleAllowsResource(rule, a)) ? allow : noOpinion();
  }

  /** The decision for the resources kube's Node authorizer subdivides, or undefined for the rest (left to the static rules). */
  private subdivided(nodeName: string, a: Attributes): Decision | undefined {
    switch (`${a.apiGroup}/${a.resource}`) {
      case '/secrets':
      case '/configmaps':
        return this.readNamespacedObject(nodeName, a);
      case '/persistentvolumeclaims':
        return a.subresource === 'status' ? this.statusUpdate(nodeName, a) : this.getRelated(nodeName, a);
      case '/persistentvolumes':
      case 'resource.k8s.io/resourceclaims':
      case 'storage.k8s.io/volumeattachments':
        return this.getRelated(nodeName, a);
      case '/serviceaccounts':
        return this.createToken(nodeName, a);
      case 'coordination.k8s.io/leases':
        if (!OWN_OBJECT_VERBS.includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
        if (a.namespace !== NODE_LEASE_NAMESPACE)
          return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
        return a.verb !== 'create' && a.name !== nodeName ? noOpinion(OWN_LEASE_ONLY) : allow;
      case 'storage.k8s.io/csinodes':
        if (!OWN_OBJECT_VERBS.includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a CSINode');
        if (a.subresource) return noOpinion('cannot authorize CSINode subresources');
        return a.verb !== 'create' && a.name !== nodeName
          ? noOpinion('can only access CSINode with the same name as the requesting node')
          : allow;
      case '/nodes':
        return this.node(nodeName, a);
      case '/pods':
        return this.pod(nodeName, a);
      default:
        return undefined;
    }
  }

  private related(nodeName: string, a: Attributes): Decision {
    if (!a.name) return noOpinion('No Object name found');
    return this.graph.hasPath(nodeName, a.resource as GraphResource, a.namespace ?? '', a.name)
      ? allow
      : noOpinion(`no relationship found between node '${nodeName}' and this object`);
  }

  private getRelated(nodeName: string, a: Attributes): Decision {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.related(nodeName, a);
  }

  private statusUpdate(nodeName: string, a: Attributes): Decision {
    if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
    return this.related(nodeName, a);
  }

  private readNamespacedObject(nodeName: string, a: Attributes): Decision {
    if (!['get', 'list', 'watch'].includes(a.verb)) return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.related(nodeName, a);
  }

  private createToken(nodeName: string, a: Attributes): Decision {
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.related(nodeName, a);
  }

  private node(nodeName: string, a: Attributes): Decision {
    if (!a.subresource && ['create', 'update', 'patch'].includes(a.verb)) return allow;
    if (!a.subresource && ['get', 'list', 'watch'].includes(a.verb)) {
      if (a.name === nodeName) return allow;
      return noOpinion(
        a.name
          ? `node '${nodeName}' cannot read '${a.name}', only its own Node object`
          : `node '${nodeName}' cannot read all nodes, only its own Node object`,
      );
    }
    return a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch') ? allow : noOpinion();
  }

  private pod(nodeName: string, a: Attributes): Decision {
    if (!a.subresource) {
      if (a.verb === 'get') return this.getRelated(nodeName, a);
      if (a.verb === 'list' || a.verb === 'watch') {
        if (selectsExactly(a.fieldSelector, 'spec.nodeName', nodeName)) return allow;
        if (a.name) return this.related(nodeName, a);
        return noOpinion('can only list/watch pods with spec.nodeName field selector');
      }
      // Mirror pods; the NodeRestriction admission plugin limits them to the node's own.
      return a.verb === 'create' || a.verb === 'delete' ? allow : noOpinion();
    }
    if (a.subresource === 'status') return a.verb === 'update' || a.verb === 'patch' ? allow : noOpinion();
    return a.subresource === 'eviction' && a.verb === 'create' ? allow : noOpinion();
  }
}
