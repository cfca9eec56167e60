/**
 * kube-apiserver's authorization chain (--authorization-mode=Node,RBAC):
 * system:masters short-circuits, then the Node authorizer for kubelets, then
 * RBAC. RBAC decisions are memoised per user and request until an RBAC object
 * changes, so a user's hot path costs one map lookup; the Node authorizer's
 * are not, since they follow the pods bound to the node. A request's object
 * name is part of the memo only where a rule with resourceNames applies, so
 * the memo follows the users and kinds of requests, not every object ever
 * named (Events and pods have a new name each); it holds at most
 * MAX_CACHED_DECISIONS entries and is dropped whole beyond.
 */
import type { UserInfo } from '../user.js';
import type { RuleResolver } from '../rbac/rule-resolver.js';
import type { PolicyRule } from '../rbac/types.js';
import { ruleAllows, ruleNamesObjects } from '../rbac/rules.js';
import { forbiddenError, type Decision, type RequestAttributes } from './attributes.js';
import { type NodeAuthorizer, nodeNameOf } from './node-authorizer.js';

export const MASTERS_GROUP = 'system:masters';
const ALLOWED: Decision = { allowed: true, reason: '' };
const DENIED: Decision = { allowed: false, reason: '' };
const MAX_CACHED_DECISIONS = 50_000;

/** The request without its object's name. */
const attributesKey = (a: RequestAttributes): string =>
  a.kind === 'resource'
    ? `${a.verb}\u0000${a.apiGroup}\u0000${a.resource}\u0000${a.subresource ?? ''}\u0000${a.namespace ?? ''}`
    : `${a.verb}\u0001${a.path}`;

/** The memo of a request whose decision turns on the object's name (a rule with resourceNames applies). */
const PER_NAME = 'per-name';

export class Authorizer {
  private decisions = new Map<string, Decision | typeof PER_NAME>();
  /** The decisions of PER_NAME requests, per object name. */
  private decisionsByName = new Map<string, Decision>();
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

  /** How many decisions are memoised (bounded by MAX_CACHED_DECISIONS). */
  get memoised(): number {
    return this.decisions.size + this.decisionsByName.size;
  }

  private authorizeByRbac(user: UserInfo, a: RequestAttributes): Decision {
    if (this.generation !== this.rules.generation || this.memoised > MAX_CACHED_DECISIONS) {
      this.decisions = new Map();
      this.decisionsByName = new Map();
      this.generation = this.rules.generation;
    }
    const key = `${user.username}\u0002${user.groups.join('\u0000')}\u0002${attributesKey(a)}`;
    let memo = this.decisions.get(key);
    if (!memo) {
      const held = this.heldRules(user, a);
      memo = held.some((rule) => ruleNamesObjects(rule, a)) ? PER_NAME : decide(held, a);
      this.decisions.set(key, memo);
    }
    if (memo !== PER_NAME) return memo;
    const namedKey = `${key}\u0003${a.kind === 'resource' ? (a.name ?? '') : ''}`;
    let decision = this.decisionsByName.get(namedKey);
    if (!decision) {
      decision = decide(this.heldRules(user, a), a);
      this.decisionsByName.set(namedKey, decision);
    }
    return decision;
  }

  private heldRules(user: UserInfo, a: RequestAttributes): PolicyRule[] {
    return this.rules.rulesFor(user, a.kind === 'resource' ? a.namespace : undefined);
  }
}

const decide = (held: PolicyRule[], a: RequestAttributes): Decision => (held.some((rule) => ruleAllows(rule, a)) ? ALLOWED : DENIED);
