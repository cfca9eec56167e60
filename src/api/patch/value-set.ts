/**
 * The field set of a value as structured-merge-diff sees it through its
 * schema, built bottom-up. Every write's managed fields need the set of a
 * created object or of what an update added or removed, and most of those
 * values have a shape seen before (every Event, every launcher pod): each
 * position (a schema's root, then each child of a layout seen there)
 * remembers the last few layouts found there (keys, child schemas, encoding
 * order) and the set last built with each, so a value of a known shape costs
 * a walk comparing keys and child sets, without sorting, schema lookups or
 * interning.
 */
import { byRankThenName, FieldSet } from './field-set.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import type { SchemaNode } from './schema-node.js';

export type ListKind = 'atomic' | 'set' | 'map';

/** List semantics: explicit list-type, else what the patch strategy implies, else atomic (as for unknown schemas). */
export function listKindOf(node: SchemaNode | undefined): ListKind {
  if (node?.listType) return node.listType === 'map' && listKeysOf(node).length === 0 ? 'atomic' : node.listType;
  if (!node?.patchStrategy?.split(',').includes('merge')) return 'atomic';
  return node.patchMergeKey ? 'map' : 'set';
}

const listKeysOf = (node: SchemaNode): readonly string[] => node.listMapKeys ?? (node.patchMergeKey ? [node.patchMergeKey] : []);

/** An item's path element: `v:<json>` in a set, `k:<its key fields as json>` in a map list, else `i:<index>`. */
export function listElement(kind: ListKind, node: SchemaNode, item: JsonValue, index: number): string {
  if (kind === 'set') return `v:${JSON.stringify(item)}`;
  if (!isJsonObject(item)) return `i:${index}`;
  const key: JsonObject = {};
  for (const name of [...listKeysOf(node)].sort()) {
    if (Object.hasOwn(item, name)) key[name] = item[name];
  }
  return `k:${JSON.stringify(key)}`;
}

export const isEmptyObject = (value: JsonValue): boolean => isJsonObject(value) && Object.keys(value).length === 0;

/** How a value is walked: a leaf (scalar, null, atomic list or map), an object of fields or keys, or a list of items. */
export type Shape = 'leaf' | 'object' | 'list';

export function shapeOf(value: JsonValue, node: SchemaNode | undefined): Shape {
  if (Array.isArray(value)) return listKindOf(node) === 'atomic' ? 'leaf' : 'list';
  return isJsonObject(value) && node?.mapType !== 'atomic' ? 'object' : 'leaf';
}

/**
 * Whether a value is itself a member of the set at its path, given its schema, where it sits (`declared`: a field
 * the schema declares) and its shape. For objects and lists the answer may depend only on these and on whether the
 * object has keys, as layouts are remembered on that assumption.
 */
export type MemberRule = (value: JsonValue, node: SchemaNode | undefined, declared: boolean, shape: Shape) => boolean;

/** ToFieldSet's rule: leaves and map keys, list items, nulls and empty objects; not a declared field holding a non-empty value. */
export const setMember: MemberRule = (value, _node, declared, shape) => shape === 'leaf' || !declared || isEmptyObject(value);

/** The diff's rule for what appeared or disappeared: everything but a declared struct field that holds fields. */
export const diffMember: MemberRule = (value, node, declared, shape) =>
  !(declared && shape === 'object' && !isEmptyObject(value) && node?.additionalProperties() === undefined);

/** Where a set is built: everything its answer depends on besides the value. */
interface Context {
  node: SchemaNode | undefined;
  declared: boolean;
  exclude: FieldSet | undefined;
  rule: MemberRule;
  root: boolean;
}

/**
 * One way an object or list was laid out at a schema node: its keys (object keys in their order, or item
 * elements in item order), what each child is walked with, and the encoding order; plus the set last built
 * with it and the child sets it was built from.
 */
interface Layout {
  readonly rule: MemberRule;
  readonly declared: boolean;
  readonly exclude: FieldSet | undefined;
  readonly root: boolean;
  readonly keys: readonly string[];
  readonly member: boolean;
  readonly elements: readonly string[];
  readonly childNodes: readonly (SchemaNode | undefined)[];
  readonly childDeclared: readonly boolean[];
  readonly childExcludes: readonly (FieldSet | undefined)[];
  /** Child indexes in encoding order; equal elements (duplicate list keys) are adjacent. */
  readonly order: readonly number[];
  /** The layouts remembered at each field's position (made on first use); a list's items have theirs in the list's slot. */
  readonly childSlots: Slot[];
  last?: { children: readonly FieldSet[]; set: FieldSet };
}

/**
 * One position: the layouts remembered there, most recent first, and for lists the positions of their items by
 * index, shared by every layout of the list (items keyed by uid make a new layout of each list, not of each item).
 */
interface Slot {
  layouts: Layout[];
  items?: Slot[];
}
const newSlot = (): Slot => ({ layouts: [] });
const LAYOUTS_PER_SLOT = 4;

/** The positions of values walked from their schema's root (a created object; what an update added or removed). */
const slotsByNode = new WeakMap<SchemaNode, Slot>();
/** Values walked from a root without a schema share one position. */
const schemalessSlot: Slot = newSlot();

const slotOf = (node: SchemaNode | undefined): Slot => {
  if (!node) return schemalessSlot;
  let slot = slotsByNode.get(node);
  if (!slot) slotsByNode.set(node, (slot = newSlot()));
  return slot;
};

/**
 * The set of a value's paths less the members of `exclude` (the fields nobody owns), with `rule` deciding which
 * objects and lists are members themselves; the root never is. Sets are interned (see FieldSet.interned).
 */
export function setOfValue(
  value: JsonValue,
  node: SchemaNode | undefined,
  declared: boolean,
  exclude: FieldSet | undefined,
  rule: MemberRule,
  root: boolean,
): FieldSet {
  return setAt(value, { node, declared, exclude, rule, root }, slotOf(node));
}

function setAt(value: JsonValue, context: Context, slot: Slot): FieldSet {
  const { node, declared, exclude, rule, root } = context;
  const shape = shapeOf(value, node);
  if (shape === 'leaf') return !root && rule(value, node, declared, shape) && !exclude?.isMember ? FieldSet.leaf : FieldSet.empty;
  const items = shape === 'list' ? (value as JsonValue[]) : undefined;
  const keys = items ? itemElements(items, node as SchemaNode) : Object.keys(value as JsonObject);
  const layout = layoutIn(slot, value, shape, keys, context);
  const children: FieldSet[] = new Array(keys.length);
  let same = layout.last !== undefined;
  for (let i = 0; i < keys.length; i++) {
    const child = items ? items[i] : (value as JsonObject)[keys[i]];
    const childContext = {
      node: layout.childNodes[i],
      declared: layout.childDeclared[i],
      exclude: layout.childExcludes[i],
      rule,
      root: false,
    };
    const childSlot = items ? ((slot.items ??= [])[i] ??= newSlot()) : (layout.childSlots[i] ??= newSlot());
    children[i] = setAt(child, childContext, childSlot);
    if (same && children[i] !== layout.last?.children[i]) same = false;
  }
  if (same) return (layout.last as { set: FieldSet }).set;
  const set = assemble(layout, children);
  layout.last = { children, set };
  return set;
}

function itemElements(items: readonly JsonValue[], node: SchemaNode): string[] {
  const kind = listKindOf(node);
  return items.map((item, index) => listElement(kind, node, item, index));
}

/** The layout of these keys remembered at this position, or a new one (then remembered). */
function layoutIn({ layouts }: Slot, value: JsonValue, shape: Shape, keys: readonly string[], context: Context): Layout {
  for (let i = 0; i < layouts.length; i++) {
    const layout = layouts[i];
    if (!fits(layout, keys, context)) continue;
    if (i > 0) {
      layouts.splice(i, 1);
      layouts.unshift(layout);
    }
    return layout;
  }
  const layout = newLayout(value, shape, keys, context);
  if (layouts.unshift(layout) > LAYOUTS_PER_SLOT) layouts.pop();
  return layout;
}

function fits(layout: Layout, keys: readonly string[], context: Context): boolean {
  if (
    layout.rule !== context.rule ||
    layout.declared !== context.declared ||
    layout.exclude !== context.exclude ||
    layout.root !== context.root ||
    layout.keys.length !== keys.length
  ) {
    return false;
  }
  for (let i = 0; i < keys.length; i++) if (layout.keys[i] !== keys[i]) return false;
  return true;
}

function newLayout(value: JsonValue, shape: Shape, keys: readonly string[], context: Context): Layout {
  const { node, declared, exclude, rule, root } = context;
  const isList = shape === 'list';
  const elements = isList ? keys : keys.map((key) => `f:${key}`);
  const itemNode = isList ? node?.items() : undefined;
  const childNodes: (SchemaNode | undefined)[] = [];
  const childDeclared: boolean[] = [];
  for (const key of keys) {
    const declaredNode = isList ? undefined : node?.property(key);
    childNodes.push(isList ? itemNode : (declaredNode ?? node?.additionalProperties()));
    childDeclared.push(declaredNode !== undefined);
  }
  const order = elements.map((_, i) => i).sort((a, b) => byRankThenName(elements[a], elements[b]));
  return {
    rule,
    declared,
    exclude,
    root,
    keys,
    member: !root && rule(value, node, declared, shape) && !exclude?.isMember,
    elements,
    childNodes,
    childDeclared,
    childExcludes: elements.map((element) => exclude?.child(element)),
    order,
    childSlots: [],
  };
}

/** The interned set of a layout with these child sets. */
function assemble(layout: Layout, children: readonly FieldSet[]): FieldSet {
  const elements: string[] = [];
  const subtrees: FieldSet[] = [];
  for (const i of layout.order) {
    const set = children[i];
    if (set.isEmpty()) continue;
    const element = layout.elements[i];
    // Two items with one key (invalid, but decodable) are one path, as inserting both would make them.
    if (elements.at(-1) === element) subtrees[subtrees.length - 1] = subtrees[subtrees.length - 1].union(set);
    else {
      elements.push(element);
      subtrees.push(set);
    }
  }
  return FieldSet.interned(layout.member, elements, subtrees);
}
