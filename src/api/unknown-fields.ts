/**
 * Unknown-field detection for built-in kinds: what Go's strict JSON decoding
 * reports (`unknown field "spec.foo"`), and the object without those fields,
 * as the lenient decoder would have produced it.
 */
import type { SchemaNode } from './patch/schema-node.js';
import type { KubeObject } from './types.js';
import { FrozenAnswers } from './frozen-answers.js';
import { fieldsBefore } from './patch/json.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a value sits, spelled only when an unknown field is reported (most writes have none). */
type PathLink = { parent: PathLink | undefined } & ({ key: string } | { index: number });

function spelled(link: PathLink | undefined): string {
  if (!link) return '';
  const parent = spelled(link.parent);
  if ('index' in link) return `${parent}[${link.index}]`;
  return parent ? `${parent}.${link.key}` : link.key;
}

/**
 * Values found without unknown fields, at the nodes one to three levels below the object (spec, status,
 * spec.containers...), when their subtree is large enough to pay for remembering it: the subtrees a write most often
 * keeps from the stored version, skipped once frozen.
 */
const known = new FrozenAnswers<SchemaNode>();
const MAX_REMEMBERED_DEPTH = 3;
const MIN_REMEMBERED_NODES = 8;

/** One walk: the unknown fields' paths found, and the objects and lists walked (what a subtree's walk cost). */
interface Walk {
  unknown: string[];
  walked: number;
}

/** `value` with its unknown fields dropped (itself when it has none); the paths of those fields go to `walk.unknown`. */
function walk(value: unknown, node: SchemaNode, path: PathLink | undefined, state: Walk, depth: number): unknown {
  const remembered = depth > 0 && depth <= MAX_REMEMBERED_DEPTH;
  if (remembered && known.has(node, value)) return value;
  const unknownBefore = state.unknown.length;
  const walkedBefore = state.walked;
  const walked = walkValue(value, node, path, state, depth);
  if (!remembered) return walked;
  if (walked !== value || state.unknown.length !== unknownBefore) known.forget(node, value);
  else if (state.walked - walkedBefore >= MIN_REMEMBERED_NODES) known.add(node, value);
  return walked;
}

function walkValue(value: unknown, node: SchemaNode, path: PathLink | undefined, state: Walk, depth: number): unknown {
  if (Array.isArray(value)) {
    state.walked++;
    const items = node.items();
    if (!items) return value;
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const walked = walk(value[i], items, { parent: path, index: i }, state, depth + 1);
      if (walked !== value[i]) out ??= value.slice();
      if (out) out[i] = walked;
    }
    return out ?? value;
  }
  if (!isObject(value)) return value;
  state.walked++;
  const additional = node.additionalProperties();
  const keys = Object.keys(value);
  // Copied only once something changes: the fields before the first change, then every kept one.
  let out: Json | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const child = value[key];
    const childNode = node.property(key) ?? additional;
    if (!childNode && !isFreeForm(node)) {
      state.unknown.push(spelled({ parent: path, key }));
      out ??= fieldsBefore(value, keys, i);
      continue;
    }
    const walked = childNode ? walk(child, childNode, { parent: path, key }, state, depth + 1) : child;
    if (walked !== child) out ??= fieldsBefore(value, keys, i);
    if (out) out[key] = walked;
  }
  return out ?? value;
}

/** A schema node with neither declared properties nor a value schema accepts anything (e.g. RawExtension, JSON). */
function isFreeForm(node: SchemaNode): boolean {
  return node.declaresNoFields === true;
}

export function unknownFieldsOf(obj: KubeObject, node: SchemaNode): { object: KubeObject; unknownFields: string[] } {
  const state: Walk = { unknown: [], walked: 0 };
  const object = walk(obj, node, undefined, state, 0) as KubeObject;
  return { object, unknownFields: state.unknown };
}
