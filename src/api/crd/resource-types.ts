/**
 * The resource types an Established CRD adds: one per served version, with
 * the names, scope, subresources and printer columns the CRD declares.
 */
import type { KubeObject, ResourceType, SubresourceInfo } from '../types.js';
import { crdSpec, listKindOf, servedVersions, type CrdSpec, type CrdVersion } from './crd-types.js';
import { rowRenderer, tableColumns } from './printer-columns.js';

/** Custom resources support every verb of a stored resource, sorted as discovery lists them. */
const customResourceVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const subresourceVerbs = ['get', 'patch', 'update'];

function subresources(spec: CrdSpec, version: CrdVersion): SubresourceInfo[] {
  const result: SubresourceInfo[] = [];
  if (version.subresources?.scale)
    result.push({ name: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: [...subresourceVerbs] });
  if (version.subresources?.status)
    result.push({
      name: 'status',
      responseKind: { group: spec.group, version: version.name, kind: spec.names.kind },
      verbs: [...subresourceVerbs],
    });
  return result;
}

export function crdResourceTypes(crd: KubeObject): ResourceType[] {
  const spec = crdSpec(crd);
  const { names } = spec;
  return servedVersions(crd).map((version) => ({
    group: spec.group,
    version: version.name,
    kind: names.kind,
    listKind: listKindOf(names),
    plural: names.plural,
    singular: names.singular || names.kind.toLowerCase(),
    shortNames: [...(names.shortNames ?? [])],
    categories: [...(names.categories ?? [])],
    namespaced: spec.scope === 'Namespaced',
    verbs: [...customResourceVerbs],
    subresources: subresources(spec, version),
    storageKey: `${spec.group}/${names.plural}`,
    columns: tableColumns(version),
    renderRow: rowRenderer(version),
    ...(version.subresources?.scale ? { scale: { ...version.subresources.scale } } : {}),
    // apiextensions-apiserver's default text when the CRD gives none.
    ...(version.deprecated
      ? { deprecationWarning: version.deprecationWarning ?? `${spec.group}/${version.name} ${names.kind} is deprecated` }
      : {}),
    custom: true,
  }));
}
