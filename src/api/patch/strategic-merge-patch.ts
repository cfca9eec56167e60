/**
 * Strategic merge patch, following k8s.io/apimachinery/pkg/util/strategicpatch
 * (StrategicMergeMapPatch: parallel deletion lists merged, unmatched nulls
 * ignored). Lists merge by their patch merge key when the schema says
 * `x-kubernetes-patch-strategy: merge`, primitive merge lists are unioned, and
 * every other list is replaced. Directives: `$patch` (replace/delete on maps,
 * replace/delete on list elements), `$retainKeys`, `$setElementOrder/<list>`,
 * `$deleteFromPrimitiveList/<list>`.
 *
 * Like the Go code, the algorithm merges in place; here it does so on a deep
 * clone of the (small) patch and on shallow copies of the maps it merges into,
 * so the result keeps the original's unchanged subtrees as they are (frozen,
 * stored ones) and a patch costs what it touches, not the whole object.
 */
import { badRequest } from '../errors.js';
import { badStrategicPatch, goValueString, patchNotApplicable } from './errors.js';
import { deepClone, goJsonTypeName, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import type { SchemaNode } from './schema-node.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

type JsonList = JsonValue[];

export function applyStrategicMergePatch(original: JsonObject, patch: unknown, schema?: SchemaNode): JsonObject {
  if (!isJsonObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${goJsonTypeName(patch)} into Go value of type map[string]interface {}`);
  }
  return mergeMap(original, deepClone(patch), schema);
}

/** The patch strategy of a field without its retainKeys part ("" when none). */
function strategyOf(node: SchemaNode | undefined): string {
  const strategies = (node?.patchStrategy ?? '').split(',').filter((s) => s && s !== 'retainKeys');
  return strategies[0] ?? '';
}

/** The schema of `key` inside an object: a declared field or a map value. */
const fieldSchema = (node: SchemaNode | undefined, key: string): SchemaNode | undefined =>
  node?.property(key) ?? node?.additionalProperties();

/** `source` merged with `patch` into a shallow copy of `source`, which itself is left alone. */
function mergeMap(source: JsonObject, patch: JsonObject, node: SchemaNode | undefined): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) return applyMapDirective(patch);
  const original = { ...source };
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, node);

  for (const [patchKey, patchValue] of Object.entries(patch)) {
    const isDeleteList = patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST);
    const key = isDeleteList ? listKeyOf(patchKey, DELETE_FROM_PRIMITIVE_LIST) : patchKey;
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const originalValue = original[key];
    if (!Object.hasOwn(original, key) || kindOf(originalValue) !== kindOf(patchValue)) {
      if (!isDeleteList) original[key] = asNewValue(patchValue);
      continue;
    }
    const field = fieldSchema(node, key);
    if (isJsonObject(originalValue) && isJsonObject(patchValue)) {
      original[key] = strategyOf(field) === 'replace' ? asNewValue(patchValue) : mergeMap(originalValue, patchValue, field);
    } else if (Array.isArray(originalValue) && Array.isArray(patchValue)) {
      original[key] = mergeListField(originalValue, patchValue, field, isDeleteList);
    } else {
      original[key] = patchValue;
    }
  }
  return original;
}

function applyMapDirective(patch: JsonObject): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') {
    delete patch[DIRECTIVE];
    return asNewValue(patch) as JsonObject;
  }
  if (directive === 'delete') return {};
  throw badStrategicPatch(`unknown patch type: ${String(directive)} in map: ${goValueString(patch)}`);
}

/** `$retainKeys`: the original keeps only the listed keys; the patch may only set listed keys. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retainKeys = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retainKeys)) throw badRequest('invalid patch format of retainKeys');
  const retained = new Set(retainKeys);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    // ErrPatchContentNotMatchRetainKeys, which the apiserver reports as a generic 422.
    if (!retained.has(key)) throw patchNotApplicable();
  }
  for (const key of Object.keys(original)) {
    if (!retained.has(key)) delete original[key];
  }
}

/**
 * `$setElementOrder/<list>`: merges the list it names (if patched) and orders
 * the result: listed items in the directive's order, server-only items kept
 * where they sat relative to them. Both the directive and the list leave the
 * patch so the main loop does not merge them again.
 */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): void {
  for (const [directiveKey, order] of Object.entries(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    delete patch[directiveKey];
    if (!Array.isArray(order)) throw badRequest('invalid patch format of setElementOrder list');
    const key = listKeyOf(directiveKey, SET_ELEMENT_ORDER);
    const originalList = listAt(original, key);
    const patchList = listAt(patch, key);
    const field = node?.property(key);
    const mergeKey = field?.patchMergeKey ?? '';
    if (patchList) checkOrderMatchesPatch(patchList, order, mergeKey);

    if (!originalList && !patchList) continue;
    const merged = patchList ? mergeListField(originalList ?? [], patchList, field, false) : (originalList as JsonList);

    const [listed, serverOnly] = partitionByPresence(merged, order, mergeKey);
    original[key] = normalizeElementOrder(listed, serverOnly, order, originalList ?? [], mergeKey);
    delete patch[key];
  }
}

/** The relative order of the patch list's items must agree with `$setElementOrder`. */
function checkOrderMatchesPatch(patchList: JsonList, order: JsonList, mergeKey: string): void {
  const items = patchList.filter((item) => !(isJsonObject(item) && Object.hasOwn(item, DIRECTIVE)));
  let next = 0;
  for (const ordered of order) {
    if (next < items.length && sameItem(items[next], ordered, mergeKey)) next++;
  }
  if (next < items.length) {
    const message =
      `The order in patch list:\n${goValueString(patchList)}\n` + ` doesn't match ${SET_ELEMENT_ORDER} list:\n${goValueString(order)}\n`;
    throw badStrategicPatch(message);
  }
}

function mergeListField(original: JsonList, patch: JsonList, field: SchemaNode | undefined, isDeleteList: boolean): JsonList {
  if (strategyOf(field) !== 'merge' && !isDeleteList) return asNewValue(patch) as JsonList;
  return mergeList(original, patch, field?.items(), field?.patchMergeKey ?? '', isDeleteList);
}

function mergeList(original: JsonList, patch: JsonList, items: SchemaNode | undefined, mergeKey: string, isDeleteList: boolean): JsonList {
  if (original.length === 0 && patch.length === 0) return original;
  let base = original;
  let patchItems = patch;
  let merged: JsonList;
  if (elementType(original, patch) !== 'object') {
    if (isDeleteList) return original.filter((item) => !patch.includes(item));
    merged = [...new Set([...original, ...patch])];
  } else {
    if (!mergeKey) throw badStrategicPatch('cannot merge lists without merge key');
    [base, patchItems] = applyElementDirectives(original, patch, mergeKey);
    merged = mergeByKey(base, patchItems, mergeKey, items);
  }
  const [inPatch, serverOnly] = partitionByPresence(merged, patchItems, mergeKey);
  return normalizeElementOrder(inPatch, serverOnly, patchItems, base, mergeKey);
}

/**
 * Handles elements carrying `$patch`: `delete` removes the matching original
 * elements, `replace` makes the rest of the patch list the whole result.
 * Returns the new original and the patch without directive elements.
 */
function applyElementDirectives(original: JsonList, patch: JsonList, mergeKey: string): [JsonList, JsonList] {
  let remaining = original;
  let replace = false;
  const plain: JsonList = [];
  for (const item of patch) {
    const element = item as JsonObject;
    if (!Object.hasOwn(element, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    switch (element[DIRECTIVE]) {
      case 'delete':
        if (!Object.hasOwn(element, mergeKey)) throw noMergeKey(element, mergeKey);
        remaining = remaining.filter((candidate) => !(isJsonObject(candidate) && candidate[mergeKey] === element[mergeKey]));
        break;
      case 'replace':
        replace = true;
        break;
      case 'merge':
        throw badStrategicPatch('merging lists cannot yet be specified in the patch');
      default:
        throw badStrategicPatch(`unknown patch type: ${String(element[DIRECTIVE])} in map: ${goValueString(element)}`);
    }
  }
  return replace ? [plain.map(asNewValue), []] : [remaining, plain];
}

/** Merges each patch element into the original element with the same merge key value, or appends it. */
function mergeByKey(original: JsonList, patch: JsonList, mergeKey: string, items: SchemaNode | undefined): JsonList {
  const result = [...original];
  for (const item of patch) {
    const element = item as JsonObject;
    if (!Object.hasOwn(element, mergeKey)) throw noMergeKey(element, mergeKey);
    const index = result.findIndex((candidate) => isJsonObject(candidate) && candidate[mergeKey] === element[mergeKey]);
    if (index >= 0) result[index] = mergeMap(result[index] as JsonObject, element, items);
    else result.push(asNewValue(element));
  }
  return result;
}

/** Splits `list` into the items present in `reference` (by merge key, or by value for primitives) and the rest. */
function partitionByPresence(list: JsonList, reference: JsonList, mergeKey: string): [JsonList, JsonList] {
  const present: JsonList = [];
  const absent: JsonList = [];
  for (const item of list) (indexOf(reference, item, mergeKey) >= 0 ? present : absent).push(item);
  return [present, absent];
}

/**
 * Orders the patch items by the patch (or $setElementOrder) order and the
 * server-only items by the original order, then interleaves them so a
 * server-only item stays ahead of any patch item it preceded in the original.
 */
function normalizeElementOrder(
  patchItems: JsonList,
  serverOnly: JsonList,
  patchOrder: JsonList,
  serverOrder: JsonList,
  mergeKey: string,
): JsonList {
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const right = sortByOrder(patchItems, patchOrder, mergeKey);
  const result: JsonList = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      result.push(left[i++]);
    } else if (i >= left.length) {
      result.push(right[j++]);
    } else {
      const leftIndex = indexOf(serverOrder, left[i], mergeKey);
      const rightIndex = indexOf(serverOrder, right[j], mergeKey);
      if (leftIndex >= 0 && rightIndex >= 0 && leftIndex < rightIndex) result.push(left[i++]);
      else result.push(right[j++]);
    }
  }
  return result;
}

function sortByOrder(items: JsonList, order: JsonList, mergeKey: string): JsonList {
  const position = (item: JsonValue) => indexOf(order, item, mergeKey);
  return [...items].sort((a, b) => position(a) - position(b));
}

function indexOf(list: JsonList, item: JsonValue, mergeKey: string): number {
  return list.findIndex((candidate) => sameItem(candidate, item, mergeKey));
}

function sameItem(a: JsonValue, b: JsonValue, mergeKey: string): boolean {
  if (!mergeKey) return a === b;
  return isJsonObject(a) && isJsonObject(b) && Object.hasOwn(a, mergeKey) && a[mergeKey] === b[mergeKey];
}

type Kind = 'object' | 'list' | 'null' | 'scalar';
const kindOf = (value: JsonValue | undefined): Kind =>
  value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value === 'object' ? 'object' : 'scalar';

/** The one element type of the lists' items, as strategicpatch's sliceElementType requires. */
function elementType(...lists: JsonList[]): string {
  const types = new Set(lists.flat().map((item) => (item === null ? 'null' : Array.isArray(item) ? 'list' : typeof item)));
  // ErrNoListOfLists, which the apiserver reports as a generic 422.
  if (types.has('list')) throw patchNotApplicable();
  if (types.size > 1) throw badStrategicPatch(`list element types are not identical: ${JSON.stringify(lists)}`);
  return [...types][0];
}

/** "$setElementOrder/containers" → "containers". */
function listKeyOf(directiveKey: string, prefix: string): string {
  const slash = directiveKey.indexOf('/');
  if (slash < 0 || directiveKey.slice(0, slash) !== prefix) {
    throw badRequest(
      prefix === SET_ELEMENT_ORDER ? 'invalid patch format of setElementOrder list' : 'invalid patch format of primitive list',
    );
  }
  return directiveKey.slice(slash + 1);
}

function listAt(obj: JsonObject, key: string): JsonList | undefined {
  if (!Object.hasOwn(obj, key)) return undefined;
  const value = obj[key];
  if (!Array.isArray(value)) throw badStrategicPatch(`expected a []interface {}, but received a ${goJsonTypeName(value)}`);
  return value;
}

const noMergeKey = (element: JsonObject, mergeKey: string) =>
  badStrategicPatch(`map: ${JSON.stringify(element)} does not contain declared merge key: ${mergeKey}`);

/**
 * A value the patch introduces where the original had none. The apiserver
 * decodes the merged map into the typed object, which drops nulls and any
 * directive left in it; doing it here gives the same stored result.
 */
function asNewValue(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(asNewValue);
  if (!isJsonObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null && !key.startsWith('$')) result[key] = asNewValue(child);
  }
  return result;
}
