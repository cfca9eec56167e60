/**
 * JSON merge patch (RFC 7386), as the apiserver applies
 * application/merge-patch+json through evanphx/json-patch.
 */
import { badRequest } from '../errors.js';
import { isJsonObject, withoutNulls, type JsonObject, type JsonValue } from './json.js';

/** Applies `patch` to `original`; neither is modified. A patch that is not a JSON object is a 400. */
export function applyMergePatch(original: JsonObject, patch: unknown): JsonObject {
  // evanphx answers ErrBadJSONPatch for null and scalars; an array would replace the whole object, which no kind can decode.
  if (!isJsonObject(patch)) throw badRequest('Invalid JSON Patch');
  return mergeObjects(original, patch);
}

function mergeObjects(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = { ...target };
  for (const [key, patchValue] of Object.entries(patch)) {
    if (patchValue === null) {
      delete result[key];
    } else {
      result[key] = mergeValue(result[key], patchValue);
    }
  }
  return result;
}

function mergeValue(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (isJsonObject(patch)) return mergeObjects(isJsonObject(target) ? target : {}, patch);
  // Non-object values replace; nulls nested in them mean nothing and are dropped, as evanphx does.
  return withoutNulls(patch);
}
