/**
 * The authorization review APIs. Every caller may do everything, so access
 * reviews allow and rules reviews list everything. (The authentication
 * reviews are in authentication/reviews.ts.)
 */
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
  const reviews: Record<string, (body: Body) => unknown> = {
    'authorization.k8s.io/selfsubjectaccessreviews': (body) => reviewed(authz, 'SelfSubjectAccessReview', body, allowed),
    'authorization.k8s.io/subjectaccessreviews': (body) => reviewed(authz, 'SubjectAccessReview', body, allowed),
    'authorization.k8s.io/localsubjectaccessreviews': (body) => reviewed(authz, 'LocalSubjectAccessReview', body, allowed),
    'authorization.k8s.io/selfsubjectrulesreviews': (body) =>
      reviewed(authz, 'SelfSubjectRulesReview', body, {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      }),
  };
  for (const [key, review] of Object.entries(reviews)) parts.virtualCreates.set(key, async (body) => review(body as Body));
}
