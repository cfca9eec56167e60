/**
 * An object seen through its schema the way structured-merge-diff sees it:
 * which parts are leaves and how the children of the rest are named as path
 * elements. On that view: the field set of an object, the difference between
 * two objects, merging an applied configuration, and removing fields.
 */
import { FieldSet, type FieldPath } from './field-set.js';
import { deepEqual, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import type { SchemaNode } from './schema-node.js';

type ListKind = 'atomic' | 'set' | 'map';

/** List semantics: explicit list-type, else what the patch strategy implies, else atomic (as for unknown schemas). */
function listKindOf(node: SchemaNode | undefined): ListKind {
  if (node?.listType) return node.listType === 'map' && listKeysOf(node).length === 0 ? 'atomic' : node.listType;
  if (!node?.patchStrategy?.split(',').includes('merge')) return 'atomic';
  return node.patchMergeKey ? 'map' : 'set';
}

const listKeysOf = (node: SchemaNode): readonly string[] => node.listMapKeys ?? (node.patchMergeKey ? [node.patchMergeKey] : []);

interface Child {
  element: string;
  value: JsonValue;
  node: SchemaNode | undefined;
  /** A field the schema declares, as opposed to a map key or a list item. */
  declared: boolean;
}

/** The children of a value, or undefined for a leaf: a scalar, null, an atomic list or an atomic map. */
function childrenOf(value: JsonValue, node: SchemaNode | undefined): Child[] | undefined {
  if (Array.isArray(value)) {
    const kind = listKindOf(node);
    if (kind === 'atomic') return undefined;
    const items = node?.items();
    return value.map((item, index) => ({
      element: listElement(kind, node as SchemaNode, item, index),
      value: item,
      node: items,
      declared: false,
    }));
  }
  if (!isJsonObject(value) || node?.mapType === 'atomic') return undefined;
  return Object.entries(value).map(([key, child]) => {
    const declaredNode = node?.property(key);
    return { element: `f:${key}`, value: child, node: declaredNode ?? node?.additionalProperties(), declared: declaredNode !== undefined };
  });
}

function listElement(kind: ListKind, node: SchemaNode, item: JsonValue, index: number): string {
  if (kind === 'set') return `v:${JSON.stringify(item)}`;
  if (!isJsonObject(item)) return `i:${index}`;
  const key: JsonObject = {};
  for (const name of [...listKeysOf(node)].sort()) {
    if (Object.hasOwn(item, name)) key[name] = item[name];
  }
  return `k:${JSON.stringify(key)}`;
}

const isEmptyObject = (value: JsonValue): boolean => isJsonObject(value) && Object.keys(value).length === 0;

/**
 * The fields an object sets (structured-merge-diff's ToFieldSet): leaves, map
 * keys and list items are members; a declared field holding a non-empty
 * object is only a prefix of its own members.
 */
export function fieldSetOf(obj: JsonValue, schema: SchemaNode | undefined): FieldSet {
  const set = new FieldSet();
  const collect = (value: JsonValue, node: SchemaNode | undefined, path: FieldPath) => {
    const children = childrenOf(value, node);
    if (!children) {
      if (path.length > 0) set.insert(path);
      return;
    }
    for (const child of children) {
      const childPath = [...path, child.element];
      if (!child.declared || child.value === null || isEmptyObject(child.value)) set.insert(childPath);
      collect(child.value, child.node, childPath);
    }
  };
  collect(obj, schema, []);
  return set;
}

export interface FieldDiff {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

/**
 * What changed from `before` to `after`: modified leaves, and every path that
 * appeared or disappeared. A declared field holding an object is not counted
 * itself (only its contents), which mirrors Go, where such structs are never
 * absent; maps and lists are.
 */
export function compareObjects(before: JsonValue, after: JsonValue, schema: SchemaNode | undefined): FieldDiff {
  const diff: FieldDiff = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };

  const addAll = (value: JsonValue, node: SchemaNode | undefined, path: FieldPath, declared: boolean, into: FieldSet) => {
    const children = childrenOf(value, node);
    const structField = declared && isJsonObject(value) && !isEmptyObject(value) && node?.additionalProperties() === undefined && children;
    if (path.length > 0 && !structField) into.insert(path);
    for (const child of children ?? []) addAll(child.value, child.node, [...path, child.element], child.declared, into);
  };

  const compare = (left: Child | undefined, right: Child | undefined, path: FieldPath) => {
    if (!left) return right && addAll(right.value, right.node, path, right.declared, diff.added);
    if (!right) return addAll(left.value, left.node, path, left.declared, diff.removed);
    // Equal values differ nowhere below: most of an object is unchanged by a write, so skip it whole.
    if (deepEqual(left.value, right.value)) return;
    const leftChildren = childrenOf(left.value, left.node);
    const rightChildren = childrenOf(right.value, right.node);
    if (!leftChildren || !rightChildren || Array.isArray(left.value) !== Array.isArray(right.value)) {
      diff.modified.insert(path);
      return;
    }
    const leftByElement = new Map(leftChildren.map((c) => [c.element, c]));
    const rightByElement = new Map(rightChildren.map((c) => [c.element, c]));
    for (const element of new Set([...leftByElement.keys(), ...rightByElement.keys()])) {
      compare(leftByElement.get(element), rightByElement.get(element), [...path, element]);
    }
  };

  compare({ element: '', value: before, node: schema, declared: true }, { element: '', value: after, node: schema, declared: true }, []);
  return diff;
}

/**
 * Merges an applied configuration into the live object: configured values
 * win, maps merge, associative lists merge item by item (live-only items stay
 * after the configured item they followed), atomic lists are replaced.
 */
export function mergeApplied(live: JsonValue | undefined, config: JsonValue, node: SchemaNode | undefined): JsonValue {
  if (live === undefined) return config;
  const liveChildren = childrenOf(live, node);
  const configChildren = childrenOf(config, node);
  if (!liveChildren || !configChildren || Array.isArray(live) !== Array.isArray(config)) return config;

  if (isJsonObject(live) && isJsonObject(config)) {
    const result: JsonObject = { ...live };
    for (const child of configChildren) {
      const key = child.element.slice(2);
      result[key] = mergeApplied(live[key], child.value, child.node);
    }
    return result;
  }

  const configured = new Set(configChildren.map((c) => c.element));
  const liveByElement = new Map(liveChildren.map((c) => [c.element, c.value]));
  const leading: JsonValue[] = [];
  const following = new Map<string, JsonValue[]>();
  let anchor: string | undefined;
  for (const child of liveChildren) {
    if (configured.has(child.element)) anchor = child.element;
    else if (anchor === undefined) leading.push(child.value);
    else following.set(anchor, [...(following.get(anchor) ?? []), child.value]);
  }
  const result = [...leading];
  for (const child of configChildren) {
    result.push(mergeApplied(liveByElement.get(child.element), child.value, child.node));
    result.push(...(following.get(child.element) ?? []));
  }
  return result;
}

/** Removes the member paths of `fields` (fields, map keys, list items) from a value. */
export function removeFields(value: JsonValue, fields: FieldSet, node: SchemaNode | undefined): JsonValue {
  const children = childrenOf(value, node);
  if (!children) return value;
  const kept = children.flatMap((child) => {
    const below = fields.child(child.element);
    if (!below) return [child];
    if (below.isMember) return [];
    return [{ ...child, value: removeFields(child.value, below, child.node) }];
  });
  if (Array.isArray(value)) return kept.map((child) => child.value);
  return Object.fromEntries(kept.map((child) => [child.element.slice(2), child.value]));
}
