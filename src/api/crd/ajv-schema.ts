/**
 * Turns a CRD's structural schema (OpenAPI v3.0 with Kubernetes extensions)
 * into the JSON Schema ajv validates with, keeping only what the apiserver
 * checks: `nullable` and `x-kubernetes-int-or-string` become type unions, the
 * boolean `exclusiveMinimum/Maximum` of OpenAPI 3.0 become draft-07 numbers,
 * unsupported formats are dropped (as the apiserver strips them), and
 * `metadata` of (embedded) resources is left to ObjectMeta validation.
 */
import type { CrdSchemaNode } from './crd-types.js';

export type AjvSchema = Record<string, unknown>;

/** String formats a CRD schema may use and the apiserver checks; others are ignored. */
export const checkedFormats = ['date-time', 'date', 'byte', 'uuid', 'ipv4', 'ipv6', 'email', 'hostname', 'uri', 'duration', 'mac', 'cidr'];

const copiedKeywords = [
  'enum',
  'required',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
];

function usablePattern(pattern: unknown): pattern is string {
  if (typeof pattern !== 'string') return false;
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false; // an RE2-only construct: better unchecked than rejecting every object
  }
}

function typeOf(node: CrdSchemaNode): string[] | undefined {
  if (node['x-kubernetes-int-or-string']) return ['integer', 'string'];
  if (!node.type) return undefined;
  return node.nullable ? [node.type, 'null'] : [node.type];
}

export function toAjvSchema(node: CrdSchemaNode, isResource = true): AjvSchema {
  const out: AjvSchema = {};
  const type = typeOf(node);
  if (type) out.type = type.length === 1 ? type[0] : type;
  for (const keyword of copiedKeywords) if (node[keyword] !== undefined) out[keyword] = node[keyword];
  if (node.nullable && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (node.format && checkedFormats.includes(node.format) && node.type === 'string') out.format = node.format;
  if (usablePattern(node.pattern)) out.pattern = node.pattern;
  if (node.minimum !== undefined) out[node.exclusiveMinimum ? 'exclusiveMinimum' : 'minimum'] = node.minimum;
  if (node.maximum !== undefined) out[node.exclusiveMaximum ? 'exclusiveMaximum' : 'maximum'] = node.maximum;
  const resource = isResource || node['x-kubernetes-embedded-resource'] === true;
  if (node.properties) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, child]) => [
        key,
        resource && key === 'metadata' ? { type: 'object' } : toAjvSchema(child, false),
      ]),
    );
  }
  if (node.additionalProperties && typeof node.additionalProperties === 'object')
    out.additionalProperties = toAjvSchema(node.additionalProperties, false);
  if (node.items) out.items = toAjvSchema(node.items, false);
  for (const combinator of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = node[combinator];
    if (branches) out[combinator] = branches.map((branch) => toAjvSchema(branch, false));
  }
  if (node.not) out.not = toAjvSchema(node.not, false);
  if (node['x-kubernetes-embedded-resource'])
    out.required = [...new Set([...((out.required as string[] | undefined) ?? []), 'apiVersion', 'kind'])];
  return out;
}
