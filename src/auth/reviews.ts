/**
 * The authorization review APIs. Access reviews
 * (SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview)
 * and rules reviews (SelfSubjectRulesReview, `kubectl auth can-i --list`) are
 * answered by the same authorizer every request meets. (The authentication
 * reviews are in authentication/reviews.ts.)
 */
import { FieldError, invalid } from '../api/errors.js';
import type { RequestContext } from '../api/registry/context.js';
import type { ApiServerParts } from '../server/parts.js';
import type { Authorizer } from './authorization/authorizer.js';
import type { RequestAttributes } from './authorization/attributes.js';
import type { UserInfo } from './user.js';

type Body = { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } | undefined;

interface ReviewedResource {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** 1.31+'s selector attributes: the Node authorizer reads a field selector as it reads a list's (AuthorizeWithSelectors). */
  fieldSelector?: { rawSelector?: string; requirements?: Array<{ key?: string; operator?: string; values?: string[] }> };
}

interface AccessReviewSpec {
  resourceAttributes?: ReviewedResource;
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

const AUTHORIZATION_GROUP = 'authorization.k8s.io';

const reviewed = (apiVersion: string, kind: string, body: Body, status: Record<string, unknown>) => ({
  kind,
  apiVersion,
  metadata: { ...(body?.metadata ?? {}), creationTimestamp: null },
  spec: body?.spec ?? {},
  status,
});

const invalidReview = (kind: string, field: string, message: string) =>
  invalid(kind, AUTHORIZATION_GROUP, '', [new FieldError('FieldValueInvalid', field, message)]);

function attributesOf(kind: string, spec: AccessReviewSpec): RequestAttributes {
  const { resourceAttributes: resource, nonResourceAttributes: nonResource } = spec;
  if (!!resource === !!nonResource) {
    const given = JSON.stringify(resource ?? null);
    const why = 'exactly one of nonResourceAttributes or resourceAttributes must be specified';
    throw invalidReview(kind, 'spec.resourceAttributes', `Invalid value: ${given}: ${why}`);
  }
  if (nonResource) return { kind: 'nonResource', verb: nonResource.verb ?? '', path: nonResource.path ?? '' };
  const r = resource!;
  return {
    kind: 'resource',
    verb: r.verb ?? '',
    apiGroup: r.group ?? '',
    apiVersion: r.version,
    resource: r.resource ?? '',
    subresource: r.subresource || undefined,
    namespace: r.namespace || undefined,
    name: r.name || undefined,
    fieldSelector: fieldSelectorOf(r.fieldSelector),
  };
}

/** A review's field selector as a list's: the raw selector, or its `In` requirements of one value each as `key=value`. */
function fieldSelectorOf(selector: ReviewedResource['fieldSelector']): string | undefined {
  if (selector?.rawSelector) return selector.rawSelector;
  const terms = (selector?.requirements ?? []).flatMap((r) =>
    r.operator === 'In' && r.values?.length === 1 ? [`${r.key}=${r.values[0]}`] : [],
  );
  return terms.length > 0 ? terms.join(',') : undefined;
}

function accessStatus(authorizer: Authorizer, user: UserInfo, attributes: RequestAttributes): Record<string, unknown> {
  const decision = authorizer.authorize(user, attributes);
  return decision.reason ? { allowed: decision.allowed, reason: decision.reason } : { allowed: decision.allowed };
}

function subjectOf(kind: string, spec: AccessReviewSpec): UserInfo {
  if (!spec.user && !spec.groups?.length) {
    throw invalidReview(kind, 'spec.user', 'Invalid value: "": at least one of user or group must be specified');
  }
  const user: UserInfo = { username: spec.user ?? '', groups: spec.groups ?? [] };
  if (spec.uid) user.uid = spec.uid;
  if (spec.extra) user.extra = spec.extra;
  return user;
}

/** What `user` may do in `namespace`, as the SelfSubjectRulesReview status lists it. */
function rulesStatus(authorizer: Authorizer, user: UserInfo, namespace: string | undefined): Record<string, unknown> {
  const rules = authorizer.rules.rulesFor(user, namespace);
  const resourceRules = rules
    .filter((r) => r.resources?.length)
    .map(({ verbs, apiGroups = [], resources, resourceNames }) => ({
      verbs,
      apiGroups,
      resources,
      ...(resourceNames?.length ? { resourceNames } : {}),
    }));
  const nonResourceRules = rules
    .filter((r) => r.nonResourceURLs?.length)
    .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  return { resourceRules, nonResourceRules, incomplete: false };
}

export function registerReviews(parts: ApiServerParts): void {
  const authz = 'authorization.k8s.io/v1';
  const { authorizer } = parts;
  const specOf = (body: Body) => (body?.spec ?? {}) as AccessReviewSpec;

  const selfAccessReview = (body: Body, ctx: RequestContext) => {
    const kind = 'SelfSubjectAccessReview';
    return reviewed(authz, kind, body, accessStatus(authorizer, ctx.user, attributesOf(kind, specOf(body))));
  };
  const accessReview = (body: Body) => {
    const kind = 'SubjectAccessReview';
    return reviewed(authz, kind, body, accessStatus(authorizer, subjectOf(kind, specOf(body)), attributesOf(kind, specOf(body))));
  };
  const localAccessReview = (body: Body, _ctx: RequestContext, namespace?: string) => {
    const kind = 'LocalSubjectAccessReview';
    const spec = specOf(body);
    const attributes = attributesOf(kind, spec);
    if (attributes.kind === 'nonResource') throw invalidReview(kind, 'spec.nonResourceAttributes', 'disallowed on this kind of request');
    const reviewedNamespace = spec.resourceAttributes?.namespace ?? '';
    if (reviewedNamespace !== namespace) {
      const field = 'spec.resourceAttributes.namespace';
      throw invalidReview(kind, field, `Invalid value: ${JSON.stringify(reviewedNamespace)}: must match metadata.namespace`);
    }
    const local = { ...body, metadata: { ...(body?.metadata ?? {}), namespace } };
    return reviewed(authz, kind, local, accessStatus(authorizer, subjectOf(kind, spec), attributes));
  };
  const rulesReview = (body: Body, ctx: RequestContext) => {
    const namespace = (body?.spec?.namespace as string | undefined) || undefined;
    return reviewed(authz, 'SelfSubjectRulesReview', body, rulesStatus(authorizer, ctx.user, namespace));
  };

  const reviews: Record<string, (body: Body, ctx: RequestContext, namespace?: string) => unknown> = {
    'authorization.k8s.io/selfsubjectaccessreviews': selfAccessReview,
    'authorization.k8s.io/subjectaccessreviews': accessReview,
    'authorization.k8s.io/localsubjectaccessreviews': localAccessReview,
    'authorization.k8s.io/selfsubjectrulesreviews': rulesReview,
  };
  for (const [key, review] of Object.entries(reviews)) {
    parts.virtualCreates.set(key, async (body, ctx, namespace) => review(body as Body, ctx, namespace));
  }
}
