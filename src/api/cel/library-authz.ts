/**
 * Kubernetes' CEL authorizer library (k8s.io/apiserver/pkg/cel/library/authz.go)
 * for admission policies: `authorizer.group(g).resource(r).namespace(ns)
 * .name(n).check(verb).allowed()`, `authorizer.path(p).check(verb)`,
 * and `authorizer.serviceAccount(ns, name)`.
 * Each check asks the server's real authorizer, for the request's user or
 * the named service account.
 */
import type { Environment } from '@marcbachmann/cel-js';

export interface AuthzAttributes {
  verb: string;
  /** Non-resource checks carry a path instead of a resource. */
  path?: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface AuthzDecision {
  allowed: boolean;
  reason: string;
}

/** Asks the real authorizer for a user ("" for the request's own user, else a service account's username). */
export type AuthorizeFn = (serviceAccount: { namespace: string; name: string } | undefined, attributes: AuthzAttributes) => AuthzDecision;

export class CelAuthorizer {
  constructor(
    readonly authorize: AuthorizeFn,
    readonly serviceAccount?: { namespace: string; name: string },
  ) {}
}

export class GroupCheck {
  constructor(
    readonly authorizer: CelAuthorizer,
    readonly group: string,
  ) {}
}

export class ResourceCheck {
  constructor(
    readonly authorizer: CelAuthorizer,
    readonly attributes: Omit<AuthzAttributes, 'verb'>,
  ) {}
  with(change: Partial<AuthzAttributes>): ResourceCheck {
    return new ResourceCheck(this.authorizer, { ...this.attributes, ...change });
  }
}

export class PathCheck {
  constructor(
    readonly authorizer: CelAuthorizer,
    readonly path: string,
  ) {}
}

export class Decision {
  constructor(readonly decision: AuthzDecision) {}
}

const decide = (authorizer: CelAuthorizer, attributes: AuthzAttributes): Decision =>
  new Decision(authorizer.authorize(authorizer.serviceAccount, attributes));

export function registerAuthzLibrary(env: Environment): void {
  env
    .registerType('kubernetes.authorization.Authorizer', CelAuthorizer)
    .registerType('kubernetes.authorization.GroupCheck', GroupCheck)
    .registerType('kubernetes.authorization.ResourceCheck', ResourceCheck)
    .registerType('kubernetes.authorization.PathCheck', PathCheck)
    .registerType('kubernetes.authorization.Decision', Decision)
    .registerFunction(
      'kubernetes.authorization.Authorizer.group(string): kubernetes.authorization.GroupCheck',
      (a: CelAuthorizer, group: string) => new GroupCheck(a, group),
    )
    .registerFunction(
      'kubernetes.authorization.Authorizer.path(string): kubernetes.authorization.PathCheck',
      (a: CelAuthorizer, path: string) => new PathCheck(a, path),
    )
    .registerFunction(
      'kubernetes.authorization.Authorizer.serviceAccount(string, string): kubernetes.authorization.Authorizer',
      (a: CelAuthorizer, namespace: string, name: string) => new CelAuthorizer(a.authorize, { namespace, name }),
    )
    .registerFunction(
      'kubernetes.authorization.GroupCheck.resource(string): kubernetes.authorization.ResourceCheck',
      (g: GroupCheck, resource: string) => new ResourceCheck(g.authorizer, { apiGroup: g.group, resource }),
    )
    .registerFunction(
      'kubernetes.authorization.ResourceCheck.subresource(string): kubernetes.authorization.ResourceCheck',
      (r: ResourceCheck, subresource: string) => r.with({ subresource }),
    )
    .registerFunction(
      'kubernetes.authorization.ResourceCheck.namespace(string): kubernetes.authorization.ResourceCheck',
      (r: ResourceCheck, namespace: string) => r.with({ namespace }),
    )
    .registerFunction(
      'kubernetes.authorization.ResourceCheck.name(string): kubernetes.authorization.ResourceCheck',
      (r: ResourceCheck, name: string) => r.with({ name }),
    )
    .registerFunction(
      'kubernetes.authorization.ResourceCheck.check(string): kubernetes.authorization.Decision',
      (r: ResourceCheck, verb: string) => decide(r.authorizer, { ...r.attributes, verb }),
    )
    .registerFunction('kubernetes.authorization.PathCheck.check(string): kubernetes.authorization.Decision', (p: PathCheck, verb: string) =>
      decide(p.authorizer, { verb, path: p.path }),
    )
    .registerFunction('kubernetes.authorization.Decision.allowed(): bool', (d: Decision) => d.decision.allowed)
    .registerFunction('kubernetes.authorization.Decision.reason(): string', (d: Decision) => d.decision.reason)
    .registerFunction('kubernetes.authorization.Decision.errored(): bool', () => false)
    .registerFunction('kubernetes.authorization.Decision.error(): string', () => '');
}
