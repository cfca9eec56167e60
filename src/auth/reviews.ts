/**
 * The authorization and authentication review APIs. Every caller is the
 * cluster admin (see auth/user.ts), so access reviews allow, rules reviews
 * list everything, and token reviews authenticate the emulator's token.
 */
import type { RequestContext } from '../api/registry/context.js';
import type { ApiServerParts } from '../server/parts.js';

type Body = { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } | undefined;

const reviewed = (apiVersion: string, kind: string, body: Body, status: Record<string, unknown>) => ({
  kind,
  apiVersion,
  metadata: { ...(body?.metadata ?? {}), creationTimestamp: null },
  spec: body?.spec ?? {},
  status,
});

const allowed = { allowed: true, reason: 'the emulator authorizes every request as the cluster admin' };

export function registerReviews(parts: ApiServerParts): void {
  const authz = 'authorization.k8s.io/v1';
  const authn = 'authentication.k8s.io/v1';
  const reviews: Record<string, (body: Body, ctx: RequestContext) => unknown> = {
    'authorization.k8s.io/selfsubjectaccessreviews': (body) => reviewed(authz, 'SelfSubjectAccessReview', body, allowed),
    'authorization.k8s.io/subjectaccessreviews': (body) => reviewed(authz, 'SubjectAccessReview', body, allowed),
    'authorization.k8s.io/localsubjectaccessreviews': (body) => reviewed(authz, 'LocalSubjectAccessReview', body, allowed),
    'authorization.k8s.io/selfsubjectrulesreviews': (body) =>
      reviewed(authz, 'SelfSubjectRulesReview', body, {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      }),
    'authentication.k8s.io/tokenreviews': (body, ctx) =>
      reviewed(authn, 'TokenReview', body, { authenticated: true, user: ctx.user, audiences: (body?.spec?.audiences as string[] | undefined) ?? [] }),
    'authentication.k8s.io/selfsubjectreviews': (body, ctx) => ({ ...reviewed(authn, 'SelfSubjectReview', body, { userInfo: ctx.user }), spec: undefined }),
  };
  for (const [key, review] of Object.entries(reviews)) parts.virtualCreates.set(key, async (body, ctx) => review(body as Body, ctx));
}
