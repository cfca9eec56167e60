/**
 * An object seen through its schema the way structured-merge-diff sees it:
 * which parts are leaves and how the children of the rest are named as path
 * elements. On that view: the field set of an object, the difference between
 * two objects, merging an applied configuration, and removing fields.
 */
import { FieldSet } from './field-set.js';
import { deepEqual, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import type { SchemaNode } from './schema-node.js';
import { diffMember, isEmptyObject, listElement, listKindOf, setMember, setOfValue, shapeOf } from './value-set.js';

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

/**
 * The fields an object sets (structured-merge-diff's ToFieldSet): leaves, map
 * keys and list items are members; a declared field holding a non-null,
 * non-empty value is only a prefix of its own members.
 */
export function fieldSetOf(obj: JsonValue, schema: SchemaNode | undefined, exclude?: FieldSet): FieldSet {
  return setOfValue(obj, schema, true, exclude, setMember, true);
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
 * absent; maps and lists are. Members of `exclude` are left out (and an
 * excluded leaf is not even compared).
 *
 * Only subtrees that are not the same object are walked: stored objects are
 * frozen and writers build new versions around the old one's unchanged parts.
 * Equal values differ nowhere below, so the walk finds the same answer on a
 * copy, only more slowly.
 */
export function compareObjects(before: JsonValue, after: JsonValue, schema: SchemaNode | undefined, exclude?: FieldSet): FieldDiff {
  // A create: everything is added, and the set is built whole instead of path by path.
  if (isEmptyObject(before) && shapeOf(before, schema) === 'object' && shapeOf(after, schema) === 'object') {
    return { added: setOfValue(after, schema, true, exclude, diffMember, true), removed: FieldSet.empty, modified: FieldSet.empty };
  }
  const diff: FieldDiff = { added: FieldSet.empty, removed: FieldSet.empty, modified: FieldSet.empty };
  const path: string[] = [];
  /** A value's paths as they appeared or disappeared at the current path. */
  const paths = (value: JsonValue, node: SchemaNode | undefined, declared: boolean, excluded: FieldSet | undefined) => {
    const set = setOfValue(value, node, declared, excluded, diffMember, false);
    return set.isEmpty() ? set : FieldSet.at(path, set);
  };

  const compare = (left: JsonValue, right: JsonValue, node: SchemaNode | undefined, excluded: FieldSet | undefined): void => {
    if (left === right) return;
    const leftShape = shapeOf(left, node);
    const rightShape = shapeOf(right, node);
    if (leftShape === 'leaf' || leftShape !== rightShape) {
      // A leaf nobody owns is not even compared.
      if (!excluded?.isMember && !deepEqual(left, right)) diff.modified = diff.modified.union(FieldSet.at(path, FieldSet.leaf));
      return;
    }
    if (leftShape === 'object') compareFields(left as JsonObject, right as JsonObject, node, excluded);
    else compareItems(left as JsonValue[], right as JsonValue[], node, excluded);
  };

  /** One child present on the left, the right or both (a key holding `undefined` is present, as Object.entries has it). */
  const compareChild = (
    element: string,
    left: { value: JsonValue } | undefined,
    right: { value: JsonValue } | undefined,
    node: SchemaNode | undefined,
    declared: boolean,
    excluded: FieldSet | undefined,
  ) => {
    path.push(element);
    if (!right) diff.removed = diff.removed.union(paths((left as { value: JsonValue }).value, node, declared, excluded));
    else if (!left) diff.added = diff.added.union(paths(right.value, node, declared, excluded));
    else compare(left.value, right.value, node, excluded);
    path.pop();
  };

  const compareFields = (left: JsonObject, right: JsonObject, node: SchemaNode | undefined, excluded: FieldSet | undefined) => {
    const field = (key: string, inLeft: boolean, inRight: boolean) => {
      const element = `f:${key}`;
      const declaredNode = node?.property(key);
      compareChild(
        element,
        inLeft ? { value: left[key] } : undefined,
        inRight ? { value: right[key] } : undefined,
        declaredNode ?? node?.additionalProperties(),
        declaredNode !== undefined,
        excluded?.child(element),
      );
    };
    for (const key of Object.keys(left)) {
      const inRight = Object.hasOwn(right, key);
      if (!inRight || left[key] !== right[key]) field(key, true, inRight);
    }
    for (const key of Object.keys(right)) if (!Object.hasOwn(left, key)) field(key, false, true);
  };

  const compareItems = (left: JsonValue[], right: JsonValue[], node: SchemaNode | undefined, excluded: FieldSet | undefined) => {
    if (left.length === right.length && left.every((item, i) => item === right[i])) return;
    const kind = listKindOf(node);
    const itemNode = node?.items();
    // Last one wins when two items share a key, as for a Map built from the items.
    const byElement = (items: JsonValue[]) =>
      new Map(items.map((item, index) => [listElement(kind, node as SchemaNode, item, index), { value: item }]));
    const leftItems = byElement(left);
    const rightItems = byElement(right);
    for (const [element, item] of leftItems)
      compareChild(element, item, rightItems.get(element), itemNode, false, excluded?.child(element));
    for (const [element, item] of rightItems) {
      if (!leftItems.has(element)) compareChild(element, undefined, item, itemNode, false, excluded?.child(element));
    }
  };

  compare(before, after, schema, exclude);
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
