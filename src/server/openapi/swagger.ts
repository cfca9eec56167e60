/**
 * The Kubernetes swagger (OpenAPI v2) shipped in schemas/: read once, shared by
 * the OpenAPI documents and by anyone who needs the built-in definitions.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A JSON Schema / OpenAPI node, kept as the JSON it is. */
export type JsonSchema = Record<string, unknown>;

export interface SwaggerParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'body' | 'formData';
  description?: string;
  required?: boolean;
  type?: string;
  uniqueItems?: boolean;
  schema?: JsonSchema;
  $ref?: string;
}

export interface SwaggerOperation {
  description?: string;
  operationId?: string;
  consumes?: string[];
  produces?: string[];
  schemes?: string[];
  tags?: string[];
  parameters?: SwaggerParameter[];
  responses: Record<string, { description: string; schema?: JsonSchema }>;
  [extension: `x-${string}`]: unknown;
}

export type SwaggerPathItem = { parameters?: SwaggerParameter[] } & Partial<Record<HttpMethod, SwaggerOperation>>;

export const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
export type HttpMethod = (typeof httpMethods)[number];

export interface Swagger {
  swagger: '2.0';
  info: { title: string; version: string };
  paths: Record<string, SwaggerPathItem>;
  definitions: Record<string, JsonSchema>;
  parameters: Record<string, SwaggerParameter>;
  securityDefinitions: Record<string, JsonSchema>;
  security: Record<string, string[]>[];
}

// Two levels below the repository root both as src/server/openapi and dist/server/openapi.
const swaggerUrl = new URL('../../../schemas/kubernetes/openapi-v2.json', import.meta.url);

let loaded: Swagger | undefined;

let digest: string | undefined;

/** A digest of the swagger file, for answers derived from it that are kept across processes. */
export function swaggerDigest(): string {
  digest ??= createHash('sha256')
    .update(readFileSync(fileURLToPath(swaggerUrl)))
    .digest('hex');
  return digest;
}

export function kubernetesSwagger(): Swagger {
  loaded ??= JSON.parse(readFileSync(fileURLToPath(swaggerUrl), 'utf8')) as Swagger;
  return loaded;
}

/** Built-in schemas keyed like `io.k8s.api.apps.v1.Deployment`, with `$ref`s to `#/definitions/…`. */
export function swaggerDefinitions(): Record<string, JsonSchema> {
  return kubernetesSwagger().definitions;
}
