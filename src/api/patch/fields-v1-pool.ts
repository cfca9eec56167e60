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

const GENERATION_SIZE = 4096;

let current = new Map<string, FieldsV1>();
let previous = new Map<string, FieldsV1>();
const ids = new WeakMap<FieldsV1, number>();
let nextId = 0;

/** Whether `value` is a tree this pool handed out (and so frozen and canonical). */
export const isPooledFieldsV1 = (value: unknown): value is FieldsV1 =>
  typeof value === 'object' && value !== null && ids.has(value as FieldsV1);

/** The pooled, frozen equal of `node`, whose children are already pooled; `node` is pooled when new. */
export function pooledFieldsV1(node: FieldsV1): FieldsV1 {
  let key = '';
  for (const element of Object.keys(node)) key += `${element}\u0000${ids.get(node[element])}\u0000`;
  const pooled = current.get(key);
  if (pooled) return pooled;
  const kept = previous.get(key) ?? Object.freeze(node);
  if (!ids.has(kept)) ids.set(kept, nextId++);
  current.set(key, kept);
  if (current.size >= GENERATION_SIZE) {
    previous = current;
    current = new Map();
  }
  return kept;
}
