/**
 * RBAC escalation prevention, as kube's rbac registry wraps Role,
 * ClusterRole and binding writes: a role may grant only what its writer
 * holds unless the writer may `escalate` it; a binding may refer only to a
 * role whose rules its writer holds unless the writer may `bind` it; only
 * escalation-allowed writers may set an aggregationRule. system:masters
 * writes anything. Denials carry kube's wording.
 */
import type { Handles, ValidatingPlugin } from '../../admission/chain.js';
import { forbidden } from '../../api/errors.js';
import { deepEqual } from '../../api/registry/object-diff.js';
import type { Authorizer } from '../authorization/authorizer.js';
import { MASTERS_GROUP } from '../authorization/authorizer.js';
import type { UserInfo } from '../user.js';
import { compactRule, goQuotedList, uncoveredRules } from './rules.js';
import { RBAC_GROUP, type BindingObject, type PolicyRule, type RoleObject } from './types.js';

const ROLE_RESOURCES = new Set(['roles', 'clusterroles']);
const BINDING_RESOURCES = new Set(['rolebindings', 'clusterrolebindings']);

function notHeldMessage(user: UserInfo, missing: PolicyRule[]): string {
  const who = `user ${JSON.stringify(user.username)} (groups=${goQuotedList(user.groups)})`;
  return `${who} is attempting to grant RBAC permissions not currently held:\n${missing.map(compactRule).join('\n')}`;
}

const isRbacWrite: Handles = ({ type, subresource, operation }) =>
  type.group === RBAC_GROUP && !subresource && (operation === 'CREATE' || operation === 'UPDATE');

export function escalationCheck(authorizer: Authorizer): ValidatingPlugin {
  const allowedTo = (user: UserInfo, verb: string, resource: string, namespace: string | undefined, name: string) =>
    authorizer.authorize(user, { kind: 'resource', verb, apiGroup: RBAC_GROUP, resource, namespace, name }).allowed;

  type Subject = { resource: string; name: string };
  const confirmNoEscalation = (user: UserInfo, namespace: string | undefined, rules: PolicyRule[], subject: Subject) => {
    const missing = uncoveredRules(authorizer.rules.rulesFor(user, namespace), rules);
    if (missing.length) throw forbidden({ group: RBAC_GROUP, ...subject }, notHeldMessage(user, missing));
  };

  return {
    name: 'RBACEscalationPrevention',
    handles: isRbacWrite,
    async validate(attributes) {
      const { type, object, oldObject, namespace, user } = attributes;
      if (!object || !isRbacWrite(attributes)) return;
      if (user.groups.includes(MASTERS_GROUP)) return;
      const name = object.metadata.name ?? '';
      const subject = { resource: type.plural, name };
      const scope = type.namespaced ? namespace : undefined;
      if (ROLE_RESOURCES.has(type.plural)) {
        if (allowedTo(user, 'escalate', type.plural, scope, name)) return;
        const role = object as RoleObject;
        const old = oldObject as RoleObject | undefined;
        if ((role.aggregationRule || old?.aggregationRule) && !deepEqual(role.aggregationRule ?? null, old?.aggregationRule ?? null)) {
          throw forbidden({ group: RBAC_GROUP, ...subject }, 'must have cluster-admin privileges to use the aggregationRule');
        }
        confirmNoEscalation(user, scope, role.rules ?? [], subject);
      } else if (BINDING_RESOURCES.has(type.plural)) {
        const { roleRef } = object as BindingObject;
        const refResource = roleRef.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
        if (allowedTo(user, 'bind', refResource, scope, roleRef.name)) return;
        confirmNoEscalation(user, scope, authorizer.rules.rulesOfRole(roleRef.kind, roleRef.name, scope), subject);
      }
    },
  };
}
