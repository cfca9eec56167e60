/**
 * One frozen copy of each distinct fieldsV1 subtree recently encoded. Every
 * Event's managedFields entry encodes the same tree, every launcher pod's
 * mostly the same one (only `k:{"uid":...}` keys and the like differ), so
 * without sharing the managedFields of thousands of objects are most of what
 * the store holds. Subtrees are interned bottom-up, keyed by their elements
 * and the identities of their (already interned) children, so interning
 * costs one pass over the tree. Bounded in two generations, as the string
 * pool of the store: trees that stop recurring leave it again.
 */
import type { FieldsV1 } from './field-set.js';
import { GenerationalPool } from './generational-pool.js';

const pool = new GenerationalPool<FieldsV1>();
const ids = new WeakMap<FieldsV1, number>();
let nextId = 0;

/** Whether `value` is a tree this pool handed out (and so frozen and canonical). */
export const isPooledFieldsV1 = (value: unknown): value is FieldsV1 =>
  typeof value === 'object' && value !== null && ids.has(value as FieldsV1);

/**
 * The pooled, frozen node with these members (`.` first when the path is itself a member, then the elements in
 * order, each with its already pooled child): looked up by its key before any object is built, since most nodes
 * encoded are equal to one encoded recently. A new node is pooled.
 */
export function pooledFieldsV1(self: boolean, elements: readonly string[], children: readonly FieldsV1[]): FieldsV1 {
  if (elements.length === 0) return EMPTY;
  // Joined, not added up: a string built by `+=` is a tree of pieces, and the pool keeps 8,192 keys.
  const parts: Array<string | number | undefined> = self ? ['.', EMPTY_ID] : [];
  // Most children are leaves: their id is known without a lookup.
  for (let i = 0; i < elements.length; i++) parts.push(elements[i], children[i] === EMPTY ? EMPTY_ID : ids.get(children[i]));
  const key = parts.join('\u0000');
  const pooled = pool.get(key);
  if (pooled) return pooled;
  const node: FieldsV1 = {};
  if (self) node['.'] = EMPTY;
  for (let i = 0; i < elements.length; i++) node[elements[i]] = children[i];
  Object.freeze(node);
  ids.set(node, nextId++);
  pool.add(key, node);
  return node;
}

/** A number naming a tree this pool handed out (the same tree, the same number); undefined for any other value. */
export const pooledFieldsV1Id = (value: FieldsV1 | undefined): number | undefined => (value === undefined ? undefined : ids.get(value));

/** `{}`: a member with nothing below it, and the value of every `.`; one object, kept for good. */
const EMPTY: FieldsV1 = Object.freeze({});
const EMPTY_ID = nextId++;
ids.set(EMPTY, EMPTY_ID);
