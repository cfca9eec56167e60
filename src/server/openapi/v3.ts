/**
 * OpenAPI v3 shapes as kube-apiserver serves them under /openapi/v3, and the
 * pieces every document shares (header, security, `$ref` bookkeeping).
 */
import type { JsonSchema } from './swagger.js';

export interface V3Parameter {
  name: string;
  in: string;
  description?: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface V3Operation {
  description?: string;
  operationId?: string;
  tags?: string[];
  parameters?: V3Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }>; required?: boolean };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
  [extension: `x-${string}`]: unknown;
}

export type V3PathItem = { parameters?: V3Parameter[] } & { [method: string]: V3Operation | V3Parameter[] | undefined };

export interface V3Document {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, V3PathItem>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
  security?: Record<string, string[]>[];
}

export const v2DefinitionPrefix = '#/definitions/';
export const schemaRefPrefix = '#/components/schemas/';

export const schemaRef = (name: string): JsonSchema => ({ $ref: schemaRefPrefix + name });

/** A deep copy of a JSON value with every `#/definitions/X` reference rewritten to `#/components/schemas/X`. */
export function rewriteRefs<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) =>
    key === '$ref' && typeof v === 'string' && v.startsWith(v2DefinitionPrefix) ? schemaRefPrefix + v.slice(v2DefinitionPrefix.length) : v,
  ) as T;
}

/** Names of the component schemas a JSON value references directly. */
function referencedSchemas(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) referencedSchemas(item, into);
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string' && v.startsWith(schemaRefPrefix)) into.add(v.slice(schemaRefPrefix.length));
      else referencedSchemas(v, into);
    }
  }
}

/**
 * The component schemas reachable from `roots`, looked up first in `own`
 * (schemas the document defines itself) and then in `library` (already
 * rewritten to v3 references).
 */
export function reachableSchemas(
  roots: unknown,
  own: Record<string, JsonSchema>,
  library: (name: string) => JsonSchema | undefined,
): Record<string, JsonSchema> {
  const pending = new Set<string>(Object.keys(own));
  referencedSchemas(roots, pending);
  const found: Record<string, JsonSchema> = {};
  for (const name of pending) {
    const schema = own[name] ?? library(name);
    if (!schema || name in found) continue;
    found[name] = schema;
    referencedSchemas(schema, pending); // a Set iterates over entries added during iteration
  }
  return Object.fromEntries(
    Object.keys(found)
      .sort()
      .map((name) => [name, found[name]]),
  );
}
