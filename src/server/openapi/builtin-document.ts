/**
 * OpenAPI v3 documents of built-in group-versions, converted from the
 * Kubernetes swagger the way kube-openapi publishes them: inline parameters
 * with a `schema`, the body parameter as `requestBody`, responses per media
 * type, and `#/components/schemas/` references.
 */
import { diskMemo } from '../../runtime/disk-memo.js';
import {
  httpMethods,
  kubernetesSwagger,
  swaggerDigest,
  type JsonSchema,
  type Swagger,
  type SwaggerOperation,
  type SwaggerParameter,
} from './swagger.js';
import { reachableSchemas, rewriteRefs, type V3Document, type V3Operation, type V3Parameter, type V3PathItem } from './v3.js';

/** `api/v1` for `/api/v1/...`, `apis/apps/v1` for `/apis/apps/v1/...`; undefined for paths above a group-version. */
export function groupVersionPathOf(urlPath: string): string | undefined {
  const segments = urlPath.split('/');
  if (segments[1] === 'api' && segments[2]) return `api/${segments[2]}`;
  if (segments[1] === 'apis' && segments[2] && segments[3]) return `apis/${segments[2]}/${segments[3]}`;
  return undefined;
}

function resolveParameter(swagger: Swagger, parameter: SwaggerParameter): SwaggerParameter {
  if (!parameter.$ref) return parameter;
  const resolved = swagger.parameters[parameter.$ref.replace('#/parameters/', '')];
  if (!resolved) throw new Error(`unresolved swagger parameter ${parameter.$ref}`);
  return resolved;
}

function convertParameter(parameter: SwaggerParameter): V3Parameter {
  const schema: JsonSchema = {};
  if (parameter.type) schema.type = parameter.type;
  if (parameter.uniqueItems) schema.uniqueItems = true;
  return {
    name: parameter.name,
    in: parameter.in,
    ...(parameter.description ? { description: parameter.description } : {}),
    ...(parameter.required ? { required: true } : {}),
    schema,
  };
}

function convertOperation(swagger: Swagger, operation: SwaggerOperation): V3Operation {
  // consumes, produces and schemes are v2-only: media types move into requestBody and responses.
  const { consumes = [], produces = [], parameters = [], responses, schemes: _schemes, ...rest } = operation;
  const converted: V3Operation = { ...rest, responses: {} };
  const resolved = parameters.map((p) => resolveParameter(swagger, p));
  const plain = resolved.filter((p) => p.in !== 'body');
  if (plain.length > 0) converted.parameters = plain.map(convertParameter);
  const body = resolved.find((p) => p.in === 'body');
  if (body?.schema) {
    converted.requestBody = { content: Object.fromEntries(consumes.map((mediaType) => [mediaType, { schema: body.schema! }])) };
    if (body.required) converted.requestBody.required = true;
  }
  for (const [code, response] of Object.entries(responses)) {
    const schema = response.schema;
    converted.responses[code] = schema
      ? { description: response.description, content: Object.fromEntries(produces.map((mediaType) => [mediaType, { schema }])) }
      : { description: response.description };
  }
  return converted;
}

export function convertPaths(swagger: Swagger, gvPath: string): Record<string, V3PathItem> {
  const paths: Record<string, V3PathItem> = {};
  for (const [urlPath, item] of Object.entries(swagger.paths)) {
    if (groupVersionPathOf(urlPath) !== gvPath) continue;
    const converted: V3PathItem = {};
    for (const method of httpMethods) {
      const operation = item[method];
      if (operation) converted[method] = convertOperation(swagger, operation);
    }
    if (item.parameters) converted.parameters = item.parameters.map((p) => convertParameter(resolveParameter(swagger, p)));
    paths[urlPath] = converted;
  }
  return rewriteRefs(paths);
}

let v3Definitions: Record<string, JsonSchema> | undefined;

/** The swagger definitions with v3 references, converted once for every document. */
export function builtinSchema(name: string): JsonSchema | undefined {
  v3Definitions ??= rewriteRefs(kubernetesSwagger().definitions);
  return v3Definitions[name];
}

/** The shared header of every document this server publishes. */
export function documentShell(
  title: string,
  version: string,
): Omit<V3Document, 'paths' | 'components'> & { components: Pick<V3Document['components'], 'securitySchemes'> } {
  const swagger = kubernetesSwagger();
  return {
    openapi: '3.0.0',
    info: { title, version },
    components: { securitySchemes: swagger.securityDefinitions },
    security: swagger.security,
  };
}

/** The v3 document of one built-in group-version (`api/v1`, `apis/apps/v1`); undefined if the swagger has no paths for it. */
function builtinDocument(gvPath: string): V3Document | undefined {
  const swagger = kubernetesSwagger();
  const paths = convertPaths(swagger, gvPath);
  if (Object.keys(paths).length === 0) return undefined;
  const shell = documentShell(swagger.info.title, swagger.info.version);
  return { ...shell, paths, components: { schemas: reachableSchemas(paths, {}, builtinSchema), ...shell.components } };
}

/**
 * The serialized document of a built-in group-version: the same for every
 * process, so kept on disk (diskMemo) under the swagger's digest; converting
 * the swagger costs about a second per process that serves /openapi/v3.
 */
const documentText = diskMemo('openapi-v3-builtin', (digestAndPath) => {
  const document = builtinDocument(digestAndPath.slice(digestAndPath.indexOf('\0') + 1));
  return document ? JSON.stringify(document) : '';
});

export const builtinDocumentText = (gvPath: string): string | undefined => documentText(`${swaggerDigest()}\0${gvPath}`) || undefined;
