/**
 * What a request asks to do, as kube-apiserver's authorizer.Attributes: a
 * resource request (verb, API group, resource, subresource, namespace, name)
 * or a non-resource request (verb and path), and who asks.
 */
import { StatusError } from '../../api/errors.js';
import type { UserInfo } from '../user.js';

export interface ResourceAttributes {
  verb: string;
  apiGroup: string;
  apiVersion?: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** A list's or watch's field selector, which the Node authorizer reads (kube's AuthorizeWithSelectors). */
  fieldSelector?: string;
}

export interface NonResourceAttributes {
  verb: string;
  path: string;
}

export type RequestAttributes = ({ kind: 'resource' } & ResourceAttributes) | ({ kind: 'nonResource' } & NonResourceAttributes);

export interface Decision {
  allowed: boolean;
  /** Why, when an authorizer has one (the Node authorizer's "no relationship found ..."). */
  reason: string;
}

/** kube-apiserver's forbiddenMessage (endpoints/handlers/responsewriters/errors.go). */
export function forbiddenMessage(user: UserInfo, attributes: RequestAttributes): string {
  const who = `User ${JSON.stringify(user.username)} cannot ${attributes.verb}`;
  if (attributes.kind === 'nonResource') return `${who} path ${JSON.stringify(attributes.path)}`;
  const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  const base = `${who} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attributes.apiGroup)}`;
  return attributes.namespace ? `${base} in the namespace ${JSON.stringify(attributes.namespace)}` : `${base} at the cluster scope`;
}

/** The 403 kube-apiserver answers a denied request with (apierrors.NewForbidden over forbiddenMessage and the reason). */
export function forbiddenError(user: UserInfo, attributes: RequestAttributes, reason = ''): StatusError {
  const why = reason ? `${forbiddenMessage(user, attributes)}: ${reason}` : forbiddenMessage(user, attributes);
  if (attributes.kind === 'nonResource') return new StatusError(403, 'Forbidden', `forbidden: ${why}`, {});
  const qualified = attributes.apiGroup ? `${attributes.resource}.${attributes.apiGroup}` : attributes.resource;
  const subject = attributes.name ? `${qualified} ${JSON.stringify(attributes.name)}` : qualified;
  const message = `${subject} is forbidden: ${why}`;
  const details: Record<string, unknown> = { kind: attributes.resource };
  if (attributes.name) details.name = attributes.name;
  if (attributes.apiGroup) details.group = attributes.apiGroup;
  return new StatusError(403, 'Forbidden', message, details);
}
