/**
 * authentication.k8s.io's two reviews: TokenReview (what a token
 * authenticates as, for given audiences) and SelfSubjectReview (who the
 * caller is: `kubectl auth whoami`).
 */
import { badRequest } from '../../api/errors.js';
import type { ApiServerParts } from '../../server/parts.js';
import type { RequestAuthenticator } from './request-authenticator.js';

const API_VERSION = 'authentication.k8s.io/v1';

interface ReviewBody {
  metadata?: Record<string, unknown>;
  spec?: { token?: unknown; audiences?: unknown };
}

export function registerAuthenticationReviews(parts: ApiServerParts, authenticator: RequestAuthenticator): void {
  parts.virtualCreates.set('authentication.k8s.io/tokenreviews', async (body) => {
    const review = (body ?? {}) as ReviewBody;
    const token = typeof review.spec?.token === 'string' ? review.spec.token : '';
    if (token === '') throw badRequest('token is required for TokenReview in authentication');
    const audiences = Array.isArray(review.spec?.audiences) ? review.spec.audiences.filter((a): a is string => typeof a === 'string') : [];
    const result = await authenticator.review(token, audiences);
    return {
      kind: 'TokenReview',
      apiVersion: API_VERSION,
      metadata: { ...(review.metadata ?? {}), creationTimestamp: null },
      spec: review.spec,
      status: {
        ...(result.authenticated ? { authenticated: true } : {}),
        user: result.user ?? {},
        ...(result.audiences ? { audiences: result.audiences } : {}),
        ...(result.error ? { error: result.error } : {}),
      },
    };
  });
  parts.virtualCreates.set('authentication.k8s.io/selfsubjectreviews', async (body, ctx) => ({
    kind: 'SelfSubjectReview',
    apiVersion: API_VERSION,
    metadata: { ...((body as ReviewBody | undefined)?.metadata ?? {}), creationTimestamp: null },
    status: { userInfo: ctx.user },
  }));
}
