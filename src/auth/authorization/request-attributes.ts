/**
 * The authorization attributes of an HTTP request, as kube-apiserver's
 * RequestInfoFactory derives them: /api/<version>/... and
 * /apis/<group>/<version>/... with a resource are resource requests (GET is
 * get, list or watch; DELETE without a name is deletecollection; a
 * Namespace's own requests carry its name as their namespace); every other
 * path is a non-resource request whose verb is the lower-cased method.
 */
import type { RequestAttributes } from './attributes.js';

const METHOD_VERBS: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const truthy = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);

/** The name a list's or watch's field selector pins (`metadata.name=<name>`), which kube authorizes the request on. */
export function nameFromFieldSelector(fieldSelector: string | undefined): string | undefined {
  return fieldSelector ? /(?:^|,)metadata\.name==?([^,]*)/.exec(fieldSelector)?.[1] : undefined;
}

export function requestAttributes(method: string, url: string): RequestAttributes {
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1));
  const nonResource: RequestAttributes = { kind: 'nonResource', verb: method.toLowerCase(), path };
  const parts = path.split('/').filter(Boolean);
  let decoded: string[];
  try {
    decoded = parts.map(decodeURIComponent);
  } catch {
    return nonResource;
  }
  let apiGroup: string;
  let apiVersion: string;
  let rest: string[];
  if (decoded[0] === 'api' && decoded.length >= 3) [apiGroup, apiVersion, rest] = ['', decoded[1], decoded.slice(2)];
  else if (decoded[0] === 'apis' && decoded.length >= 4) [apiGroup, apiVersion, rest] = [decoded[1], decoded[2], decoded.slice(3)];
  else return nonResource;
  const verb = METHOD_VERBS[method];
  if (!verb) return nonResource;

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  const attributes: RequestAttributes = { kind: 'resource', verb, apiGroup, apiVersion, resource, namespace, name, subresource };
  if (verb === 'get' && !name) {
    attributes.verb = truthy.has(query.get('watch') ?? '') ? 'watch' : 'list';
    const fieldSelector = query.get('fieldSelector') ?? '';
    if (fieldSelector) attributes.fieldSelector = fieldSelector;
    const byName = nameFromFieldSelector(fieldSelector);
    if (byName !== undefined) attributes.name = byName;
  } else if (verb === 'get' && truthy.has(query.get('watch') ?? '')) {
    attributes.verb = 'watch';
  } else if (verb === 'delete' && !name) {
    attributes.verb = 'deletecollection';
  }
  return attributes;
}
