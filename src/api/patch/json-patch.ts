/**
 * JSON Patch (RFC 6902), as the apiserver applies application/json-patch+json:
 * a body that is not a list of operation objects is a 400 (it fails to
 * decode), more than 10000 operations a 413, and any operation that fails to
 * apply a generic 422.
 */
import jsonPatch from 'fast-json-patch';
import { badRequest, tooLarge } from '../errors.js';
import { patchNotApplicable } from './errors.js';
import { deepClone, goJsonTypeName, isJsonObject, type JsonObject } from './json.js';

/** The apiserver's maxJSONPatchOperations. */
const MAX_OPERATIONS = 10000;

export function applyJsonPatch(original: JsonObject, patch: unknown): JsonObject {
  const operations = decodeOperations(patch);
  if (operations.length > MAX_OPERATIONS) {
    throw tooLarge(`The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${operations.length}`);
  }
  try {
    // Patched in place on our own copy (the library's own copy is a slower JSON round trip), so frozen inputs are safe.
    const { newDocument } = jsonPatch.applyPatch(deepClone(original), operations, true, true);
    if (!isJsonObject(newDocument)) throw patchNotApplicable();
    return newDocument;
  } catch (err) {
    if (err instanceof jsonPatch.JsonPatchError) throw patchNotApplicable();
    throw err;
  }
}

/** Mirrors how Go decodes the body into jsonpatch.Patch ([]map[string]*json.RawMessage). */
function decodeOperations(patch: unknown): jsonPatch.Operation[] {
  if (patch === null) return [];
  if (!Array.isArray(patch)) {
    throw badRequest(`json: cannot unmarshal ${goJsonTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  const wrongElement = patch.find((op) => !isJsonObject(op) && op !== null);
  if (wrongElement !== undefined) {
    throw badRequest(`json: cannot unmarshal ${goJsonTypeName(wrongElement)} into Go value of type jsonpatch.Operation`);
  }
  return patch.filter(isJsonObject) as unknown as jsonPatch.Operation[];
}
