/**
 * OpenAPI v3 document of a custom resource group-version, shaped like the one
 * apiextensions-apiserver publishes: the REST paths of every kind served in
 * that group-version, each operation tagged with its group-version-kind, and
 * the CRD's schema (plus TypeMeta and ObjectMeta) under the canonical model
 * name, so `kubectl apply` finds `fieldValidation` and `kubectl explain`
 * finds the field docs.
 */
import { crdSpec, listKindOf, type CrdSchemaNode, type CrdVersion } from '../../api/crd/crd-types.js';
import type { KubeObject } from '../../api/types.js';
import { builtinSchema, documentShell } from './builtin-document.js';
import { kubernetesSwagger, type JsonSchema, type SwaggerParameter } from './swagger.js';
import { reachableSchemas, schemaRef, type V3Document, type V3Operation, type V3Parameter, type V3PathItem } from './v3.js';

const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const listMetaModel = `${meta}.ListMeta`;
const statusModel = `${meta}.Status`;
const patchModel = `${meta}.Patch`;
const deleteOptionsModel = `${meta}.DeleteOptions`;
const scaleModel = 'io.k8s.api.autoscaling.v1.Scale';

const produces = ['application/json', 'application/yaml'];
const consumes = ['application/json', 'application/yaml'];
// No strategic merge: custom resources have no patch strategies (kubectl then sends merge patches).
const patchConsumes = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

/** `io.kubevirt.v1.KubeVirt`: the reversed group, the version and the kind, as the apiserver names CRD models. */
export function crdModelName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

/** Go's openapi operation ids drop non-alphanumerics and capitalize what follows them. */
function operationIdPart(s: string, capitalizeFirst: boolean): string {
  const words = s.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w, i) => (i === 0 && !capitalizeFirst ? w : w[0].toUpperCase() + w.slice(1))).join('');
}

const article = (noun: string): string => (/^[aeiou]/i.test(noun) ? ' an ' : ' a ');

type Action = 'list' | 'post' | 'deletecollection' | 'get' | 'put' | 'patch' | 'delete';

/** The operation verb of the apiserver's route builder and its wording of the description. */
const operationVerbs: Record<Action, string> = {
  list: 'list',
  post: 'create',
  deletecollection: 'deletecollection',
  get: 'read',
  put: 'replace',
  patch: 'patch',
  delete: 'delete',
};

function describe(action: Action, kind: string, subresource: string): string {
  const sub = subresource ? ` ${subresource} of` : '';
  switch (action) {
    case 'list':
      return `list objects of kind ${kind}`;
    case 'get':
    case 'put':
      return `${operationVerbs[action]}${sub} the specified ${kind}`;
    case 'patch':
      return `partially update${sub} the specified ${kind}`;
    case 'deletecollection':
      return `delete collection of${subresource ? `${sub} a` : ''} ${kind}`;
    default:
      return `${operationVerbs[action]}${sub}${article(kind)}${kind}`;
  }
}

/**
 * Query parameters of each action, taken from the built-in Deployment
 * operations: the apiserver derives both from the same option structs.
 */
function queryParameters(action: Action): V3Parameter[] {
  const swagger = kubernetesSwagger();
  const collection = swagger.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  const item = swagger.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  const template = {
    list: collection.get,
    post: collection.post,
    deletecollection: collection.delete,
    get: item.get,
    put: item.put,
    patch: item.patch,
    delete: item.delete,
  }[action];
  const resolve = (p: SwaggerParameter): SwaggerParameter => (p.$ref ? swagger.parameters[p.$ref.replace('#/parameters/', '')] : p);
  return (template?.parameters ?? [])
    .map(resolve)
    .filter((p) => p.in === 'query')
    .map((p) => ({
      name: p.name,
      in: p.in,
      description: p.description,
      schema: { type: p.type, ...(p.uniqueItems ? { uniqueItems: true } : {}) },
    }));
}

function pathParameter(name: string, description: string): V3Parameter {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } };
}

const prettyParameter: V3Parameter = {
  name: 'pretty',
  in: 'query',
  description:
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
  schema: { type: 'string', uniqueItems: true },
};

interface KindInfo {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
}

function operation(info: KindInfo, action: Action, subresource: string, responseModel: string, allNamespaces = false): V3Operation {
  const { group, version, kind } = info;
  const scope = info.namespaced && !allNamespaces ? 'Namespaced' : '';
  const verb = operationVerbs[action] === 'deletecollection' ? 'deleteCollection' : operationVerbs[action];
  const suffix = allNamespaces ? 'ForAllNamespaces' : subresource ? subresource[0].toUpperCase() + subresource.slice(1) : '';
  const op: V3Operation = {
    description: describe(action, kind, subresource),
    operationId: verb + operationIdPart(group, true) + operationIdPart(version, true) + scope + kind + suffix,
    tags: [`${operationIdPart(group, false)}_${version}`],
    parameters: queryParameters(action),
    responses: {},
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group, version, kind },
  };
  if (op.parameters!.length === 0) delete op.parameters;
  const body = (model: string, media: string[]) => ({
    content: Object.fromEntries(media.map((m) => [m, { schema: schemaRef(model) }])),
    required: true,
  });
  if (action === 'post' || action === 'put') op.requestBody = body(responseModel, consumes);
  if (action === 'patch') op.requestBody = body(patchModel, patchConsumes);
  if (action === 'delete')
    op.requestBody = { content: Object.fromEntries(consumes.map((m) => [m, { schema: schemaRef(deleteOptionsModel) }])) };
  const respond = (code: string, description: string, model: string) => {
    op.responses[code] = { description, content: Object.fromEntries(produces.map((m) => [m, { schema: schemaRef(model) }])) };
  };
  const status = action === 'delete' || action === 'deletecollection';
  respond('200', 'OK', status ? statusModel : responseModel);
  if (action === 'post' || action === 'put') respond('201', 'Created', responseModel);
  if (action === 'post') respond('202', 'Accepted', responseModel);
  if (action === 'delete') respond('202', 'Accepted', statusModel);
  op.responses['401'] = { description: 'Unauthorized' };
  return op;
}

function kindPaths(info: KindInfo, version: CrdVersion, plural: string): Record<string, V3PathItem> {
  const model = crdModelName(info.group, info.version, info.kind);
  const listModel = crdModelName(info.group, info.version, info.listKind);
  const base = `/apis/${info.group}/${info.version}`;
  const root = info.namespaced ? `${base}/namespaces/{namespace}/${plural}` : `${base}/${plural}`;
  const scopeParameters = info.namespaced ? [pathParameter('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const itemParameters = [pathParameter('name', `name of the ${info.kind}`), ...scopeParameters, prettyParameter];
  const paths: Record<string, V3PathItem> = {};
  if (info.namespaced) paths[`${base}/${plural}`] = { get: operation(info, 'list', '', listModel, true), parameters: [prettyParameter] };
  paths[root] = {
    get: operation(info, 'list', '', listModel),
    post: operation(info, 'post', '', model),
    delete: operation(info, 'deletecollection', '', model),
    parameters: [...scopeParameters, prettyParameter],
  };
  paths[`${root}/{name}`] = {
    get: operation(info, 'get', '', model),
    put: operation(info, 'put', '', model),
    patch: operation(info, 'patch', '', model),
    delete: operation(info, 'delete', '', model),
    parameters: itemParameters,
  };
  const subresources: [string, string][] = [];
  if (version.subresources?.status) subresources.push(['status', model]);
  if (version.subresources?.scale) subresources.push(['scale', scaleModel]);
  for (const [name, responseModel] of subresources) {
    paths[`${root}/{name}/${name}`] = {
      get: operation(info, 'get', name, responseModel),
      put: operation(info, 'put', name, responseModel),
      patch: operation(info, 'patch', name, responseModel),
      parameters: itemParameters,
    };
  }
  return paths;
}

/** TypeMeta's and ObjectMeta's fields with the descriptions built-in kinds carry. */
function typeMetaProperties(): Record<string, JsonSchema> {
  const properties = builtinSchema('io.k8s.api.apps.v1.Deployment')!.properties as Record<string, JsonSchema>;
  return { apiVersion: properties.apiVersion, kind: properties.kind, metadata: properties.metadata };
}

/** Embedded resources (`x-kubernetes-embedded-resource`) get TypeMeta and ObjectMeta like the root. */
function withEmbeddedProperties(node: CrdSchemaNode): CrdSchemaNode {
  const out: CrdSchemaNode = { ...node };
  if (node.properties) out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, withEmbeddedProperties(v)]));
  if (node.items) out.items = withEmbeddedProperties(node.items);
  if (node.additionalProperties && typeof node.additionalProperties === 'object')
    out.additionalProperties = withEmbeddedProperties(node.additionalProperties);
  if (node['x-kubernetes-embedded-resource']) {
    out.properties = { ...out.properties, ...typeMetaProperties() };
    out.required = [...new Set([...(node.required ?? []), 'kind', 'apiVersion'])];
  }
  return out;
}

function kindSchema(info: KindInfo, version: CrdVersion): JsonSchema {
  const declared = version.schema?.openAPIV3Schema;
  const schema: JsonSchema = declared ? (withEmbeddedProperties(declared) as JsonSchema) : { type: 'object' };
  if (declared) schema.properties = { ...(schema.properties as Record<string, JsonSchema> | undefined), ...typeMetaProperties() };
  schema['x-kubernetes-group-version-kind'] = [{ group: info.group, kind: info.kind, version: info.version }];
  return schema;
}

function listSchema(info: KindInfo, plural: string): JsonSchema {
  const { apiVersion, kind } = typeMetaProperties();
  return {
    description: `${info.listKind} is a list of ${info.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion,
      items: {
        description: `List of ${plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        type: 'array',
        items: schemaRef(crdModelName(info.group, info.version, info.kind)),
      },
      kind,
      metadata: {
        ...schemaRef(listMetaModel),
        description:
          'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      },
    },
    'x-kubernetes-group-version-kind': [{ group: info.group, kind: info.listKind, version: info.version }],
  };
}

/** The document of one CRD group-version from the CRDs serving kinds in it; undefined when none does. */
export function crdDocument(group: string, version: string, crds: KubeObject[]): V3Document | undefined {
  const paths: Record<string, V3PathItem> = {};
  const own: Record<string, JsonSchema> = {};
  for (const crd of crds) {
    const spec = crdSpec(crd);
    const served = spec.group === group ? spec.versions.find((v) => v.name === version && v.served) : undefined;
    if (!served) continue;
    const info: KindInfo = {
      group,
      version,
      kind: spec.names.kind,
      listKind: listKindOf(spec.names),
      namespaced: spec.scope === 'Namespaced',
    };
    Object.assign(paths, kindPaths(info, served, spec.names.plural));
    own[crdModelName(group, version, info.kind)] = kindSchema(info, served);
    own[crdModelName(group, version, info.listKind)] = listSchema(info, spec.names.plural);
  }
  if (Object.keys(paths).length === 0) return undefined;
  const shell = documentShell('Kubernetes CRD Swagger', 'v0.1.0');
  return { ...shell, paths, components: { schemas: reachableSchemas(paths, own, builtinSchema), ...shell.components } };
}
