/**
 * API discovery: the aggregated v2 documents kubectl 1.32 reads from /api and
 * /apis, and the legacy documents (/api, /apis, /api/v1, /apis/<g>[/<v>])
 * other clients and `kubectl auth can-i` still use.
 */
import type { TypeRegistry } from '../api/type-registry.js';
import { apiVersionOf, type ResourceType } from '../api/types.js';

export const aggregatedDiscoveryMediaType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && /as=APIGroupDiscoveryList/.test(accept) && /v=v2(?!beta)/.test(accept);
}

/** Types of a group-version that discovery lists: every top-level resource. */
function resourceEntry(type: ResourceType) {
  const entry: Record<string, unknown> = {
    resource: type.plural,
    responseKind: { group: type.group, version: type.version, kind: type.kind },
    scope: type.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: type.singular,
    verbs: type.verbs,
  };
  if (type.shortNames.length) entry.shortNames = type.shortNames;
  if (type.categories.length) entry.categories = type.categories;
  if (type.subresources.length) {
    entry.subresources = type.subresources.map((s) => ({ subresource: s.name, responseKind: s.responseKind, verbs: s.verbs }));
  }
  return entry;
}

export function aggregatedDiscovery(types: TypeRegistry, core: boolean) {
  const items = types
    .groups()
    .filter((g) => (g.name === '') === core)
    .map((g) => ({
      metadata: core ? { creationTimestamp: null } : { name: g.name, creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: types.versionTypes(g.name, version).map(resourceEntry),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

export function legacyCoreVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(name: string, versions: string[]) {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function legacyGroupList(types: TypeRegistry) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: types
      .groups()
      .filter((g) => g.name !== '')
      .map((g) => groupEntry(g.name, g.versions)),
  };
}

export function legacyGroup(types: TypeRegistry, group: string) {
  const info = types.groups().find((g) => g.name === group);
  return info ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(info.name, info.versions) } : undefined;
}

/** An APIResourceList; every key Go would write is present, even when empty. */
export function legacyResourceList(types: TypeRegistry, group: string, version: string) {
  const list = types.versionTypes(group, version);
  if (list.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const t of list) {
    const entry: Record<string, unknown> = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
    };
    if (t.shortNames.length) entry.shortNames = t.shortNames;
    if (t.categories.length) entry.categories = t.categories;
    resources.push(entry);
    for (const s of t.subresources) {
      resources.push({
        name: `${t.plural}/${s.name}`,
        singularName: '',
        namespaced: t.namespaced,
        group: s.responseKind.group,
        version: s.responseKind.version,
        kind: s.responseKind.kind,
        verbs: s.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
}
