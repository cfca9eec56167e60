/**
 * The patch engines: JSON Patch, JSON merge patch, strategic merge patch and
 * server-side apply, as pure functions over plain JSON.
 */
import { badRequest } from '../errors.js';
import { isJsonObject, type JsonObject } from './json.js';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import type { SchemaNode } from './schema-node.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

export type { JsonObject, JsonValue } from './json.js';
export type { SchemaNode, OpenApiSchema, OpenApiDefinitions } from './schema-node.js';
export { openApiV2SchemaNode, openApiV3SchemaNode, kubernetesDefinitions, definitionNameForGvk } from './schema-node.js';
export { FieldSet, pathString, type FieldPath, type FieldsV1 } from './field-set.js';
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export {
  applyConfiguration,
  updateManagedFields,
  fieldSetOf,
  type ApplyInput,
  type ApplyResult,
  type UpdateInput,
} from './server-side-apply.js';

export type PatchEngine = 'json' | 'merge' | 'strategic';

/**
 * Applies a patch body (already decoded from JSON) to an object, returning a
 * new object. `schema` drives strategic merge; without it lists are replaced,
 * as for unstructured objects.
 */
export function applyPatch(type: PatchEngine, original: unknown, patchBody: unknown, schema?: SchemaNode): JsonObject {
  if (!isJsonObject(original)) throw badRequest('the object to patch is not a JSON object');
  switch (type) {
    case 'json':
      return applyJsonPatch(original, patchBody);
    case 'merge':
      return applyMergePatch(original, patchBody);
    case 'strategic':
      return applyStrategicMergePatch(original, patchBody, schema);
  }
}
