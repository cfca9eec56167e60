/**
 * Unknown-field detection for built-in kinds: what Go's strict JSON decoding
 * reports (`unknown field "spec.foo"`), and the object without those fields,
 * as the lenient decoder would have produced it.
 */
import type { SchemaNode } from './patch/schema-node.js';
import type { KubeObject } from './types.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(value: unknown, node: SchemaNode, path: string, unknown: string[]): unknown {
  if (Array.isArray(value)) {
    const items = node.items();
    return items ? value.map((v, i) => walk(v, items, `${path}[${i}]`, unknown)) : value;
  }
  if (!isObject(value)) return value;
  const additional = node.additionalProperties();
  let changed = false;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    const childNode = node.property(key) ?? additional;
    const childPath = path ? `${path}.${key}` : key;
    if (!childNode) {
      if (isFreeForm(node)) {
        out[key] = child;
        continue;
      }
      unknown.push(childPath);
      changed = true;
      continue;
    }
    const walked = walk(child, childNode, childPath, unknown);
    if (walked !== child) changed = true;
    out[key] = walked;
  }
  return changed ? out : value;
}

/** A schema node with neither declared properties nor a value schema accepts anything (e.g. RawExtension, JSON). */
function isFreeForm(node: SchemaNode): boolean {
  return node.declaresNoFields === true;
}

export function unknownFieldsOf(obj: KubeObject, node: SchemaNode): { object: KubeObject; unknownFields: string[] } {
  const unknownFields: string[] = [];
  const object = walk(obj, node, '', unknownFields) as KubeObject;
  return { object, unknownFields };
}
