/**
 * Unknown-field detection for built-in kinds: what Go's strict JSON decoding
 * reports (`unknown field "spec.foo"`), and the object without those fields,
 * as the lenient decoder would have produced it.
 */
import type { SchemaNode } from './patch/schema-node.js';
import type { KubeObject } from './types.js';

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

/** `value` with its unknown fields dropped (itself when it has none); the paths of those fields go to `unknown`. */
function walk(value: unknown, node: SchemaNode, path: PathLink | undefined, unknown: string[]): unknown {
  if (Array.isArray(value)) {
    const items = node.items();
    if (!items) return value;
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const walked = walk(value[i], items, { parent: path, index: i }, unknown);
      if (walked !== value[i]) out ??= value.slice();
      if (out) out[i] = walked;
    }
    return out ?? value;
  }
  if (!isObject(value)) return value;
  const additional = node.additionalProperties();
  const keys = Object.keys(value);
  // Copied only once something changes: the fields before the first change, then every kept one.
  let out: Json | undefined;
  const keepUpTo = (index: number): Json => {
    const copy: Json = {};
    for (let k = 0; k < index; k++) copy[keys[k]] = value[keys[k]];
    return copy;
  };
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const child = value[key];
    const childNode = node.property(key) ?? additional;
    if (!childNode && !isFreeForm(node)) {
      unknown.push(spelled({ parent: path, key }));
      out ??= keepUpTo(i);
      continue;
    }
    const walked = childNode ? walk(child, childNode, { parent: path, key }, unknown) : child;
    if (walked !== child) out ??= keepUpTo(i);
    if (out) out[key] = walked;
  }
  return out ?? value;
}

/** A schema node with neither declared properties nor a value schema accepts anything (e.g. RawExtension, JSON). */
function isFreeForm(node: SchemaNode): boolean {
  return node.declaresNoFields === true;
}

export function unknownFieldsOf(obj: KubeObject, node: SchemaNode): { object: KubeObject; unknownFields: string[] } {
  const unknownFields: string[] = [];
  const object = walk(obj, node, undefined, unknownFields) as KubeObject;
  return { object, unknownFields };
}
