/**
 * kube-apiserver's authorization chain (--authorization-mode=Node,RBAC):
 * system:masters short-circuits, then the Node authorizer for kubelets, then
 * RBAC. RBAC decisions are memoised per user and request until an RBAC object
 * changes, so a user's hot path costs one map lookup; the Node authorizer's
 * are not, since they follow the pods bound to the node.
 */
import type { UserInfo } from '../user.js';
import type { RuleResolver } from '../rbac/rule-resolver.js';
import { ruleAllows } from '../rbac/rules.js';
import { forbiddenError, type Decision, type RequestAttributes } from './attributes.js';
import { type NodeAuthorizer, nodeNameOf } from './node-authorizer.js';

export const MASTERS_GROUP = 'system:masters';
const ALLOWED: Decision = { allowed: true, reason: '' };
const DENIED: Decision = { allowed: false, reason: '' };
const MAX_CACHED_DECISIONS = 50_000;

const attributesKey = (a: RequestAttributes): string =>
  a.kind === 'resource'
    ? `${a.verb}\u0000${a.apiGroup}\u0000${a.resource}\u0000${a.subresource ?? ''}\u0000${a.namespace ?? ''}\u0000${a.name ?? ''}`
    : `${a.verb}\u0001${a.path}`;

export class Authorizer {
  private decisions = new Map<string, Decision>();
  private generation = -1;

  constructor(
    readonly rules: RuleResolver,
    private readonly nodes: NodeAuthorizer,
  ) {}

  authorize(user: UserInfo, a: RequestAttributes): Decision {
    if (user.groups.includes(MASTERS_GROUP)) return ALLOWED;
    const node = nodeNameOf(user);
    const nodeDecision = node === undefined ? undefined : this.nodes.authorize(node, a);
    if (nodeDecision?.allowed) return nodeDecision;
    const decision = this.authorizeByRbac(user, a);
    // kube's union authorizer reports the reasons of the authorizers that had no opinion (RBAC gives none).
    return decision.allowed || !nodeDecision?.reason ? decision : nodeDecision;
  }

  /** Throws kube's 403 when `user` may not do `a`. */
  check(user: UserInfo, a: RequestAttributes): void {
    const decision = this.authorize(user, a);
    if (!decision.allowed) throw forbiddenError(user, a, decision.reason);
  }

  private authorizeByRbac(user: UserInfo, a: RequestAttributes): Decision {
    if (this.generation !== this.rules.generation || this.decisions.size > MAX_CACHED_DECISIONS) {
      this.decisions = new Map();
      this.generation = this.rules.generation;
    }
    const key = `${user.username}\u0002${user.groups.join('\u0000')}\u0002${attributesKey(a)}`;
    let decision = this.decisions.get(key);
    if (!decision) {
      const held = this.rules.rulesFor(user, a.kind === 'resource' ? a.namespace : undefined);
      decision = held.some((rule) => ruleAllows(rule, a)) ? ALLOWED : DENIED;
      this.decisions.set(key, decision);
    }
    return decision;
  }
}
