/**
 * Parses a resource URL into what the request is about, as the apiserver's
 * RequestInfoFactory does: /api/v1/... and /apis/<group>/<version>/...
 */
import { goUnescape } from './query.js';

export interface ResourceRequest {
  group: string;
  version: string;
  /** Undefined for cluster-wide requests of namespaced resources. */
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

export type ParsedPath =
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'resource'; request: ResourceRequest }
  | { kind: 'unknown' };

export function parseResourcePath(pathname: string): ParsedPath {
  const parts = pathname
    .split('/')
    .filter(Boolean)
    .map((segment) => goUnescape(segment, false) ?? segment);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return { kind: 'unknown' };
  }
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  // /namespaces/{ns}/{resource}/... is namespaced; /namespaces and /namespaces/{name}[/{sub}] address Namespaces.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && isNamespaceSubresource(rest[2]))) {
    const [, namespace, resource, name, subresource, ...extra] = rest;
    if (extra.length) return { kind: 'unknown' };
    return { kind: 'resource', request: { group, version, namespace, resource, name, subresource } };
  }
  const [resource, name, subresource, ...extra] = rest;
  if (extra.length) return { kind: 'unknown' };
  return { kind: 'resource', request: { group, version, resource, name, subresource } };
}

const isNamespaceSubresource = (segment: string) => segment === 'status' || segment === 'finalize';

/** Go's strconv.ParseBool, which query booleans follow (python sends `watch=True`). */
export function parseBool(value: string | undefined): boolean {
  return value !== undefined && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
}
