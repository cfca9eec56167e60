/**
 * CEL types for OpenAPI schemas, as apiextensions' model package declares
 * them: objects with properties become object types whose fields are the
 * (escaped) property names, additionalProperties maps, arrays lists,
 * int-or-string and preserve-unknown-fields `dyn`; the root of a resource
 * also gets apiVersion, kind and metadata.name/generateName. Values are
 * converted alongside, so integers reach CEL as ints.
 */
import type { Environment } from '@marcbachmann/cel-js';
import type { CrdSchemaNode } from '../crd/crd-types.js';
import { celEquals, jsonToCel } from './values.js';

const RESERVED = new Set(
  'true false null in as break const continue else for function if import let loop package namespace return var void while'.split(' '),
);

/** A property name as CEL code must spell it (cel.Escape); undefined if it cannot be accessed at all. */
export function escapePropertyName(name: string): string | undefined {
  if (RESERVED.has(name)) return `__${name}__`;
  const escaped = name.replace(/__/g, '__underscores__').replace(/\./g, '__dot__').replace(/-/g, '__dash__').replace(/\//g, '__slash__');
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(escaped) ? escaped : undefined;
}

/** The metadata fields a rule may read on a resource root or an embedded resource. */
const OBJECT_META: CrdSchemaNode = { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } };

/** The schema of a resource as its rules see it: apiVersion, kind and the readable metadata added. */
export function withTypeAndObjectMeta(schema: CrdSchemaNode): CrdSchemaNode {
  return {
    ...schema,
    type: 'object',
    properties: { ...schema.properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: OBJECT_META },
  };
}

const isDyn = (s: CrdSchemaNode | undefined): boolean =>
  !s || s['x-kubernetes-int-or-string'] === true || (s['x-kubernetes-preserve-unknown-fields'] === true && !s.properties) || !s.type;

/** Declares the types `schema` needs on `env` and returns the CEL type of its values. */
export class SchemaTypes {
  private count = 0;

  constructor(
    private readonly env: Environment,
    private readonly prefix: string,
  ) {}

  declare(schema: CrdSchemaNode | undefined): string {
    if (isDyn(schema)) return 'dyn';
    const s = schema as CrdSchemaNode;
    switch (s.type) {
      case 'integer':
        return 'int';
      case 'number':
        return 'double';
      case 'boolean':
        return 'bool';
      case 'string':
        return 'string';
      case 'array':
        return `list<${this.declare(s.items)}>`;
      case 'object':
        return this.declareObject(s);
      default:
        return 'dyn';
    }
  }

  private declareObject(schema: CrdSchemaNode): string {
    const object = schema['x-kubernetes-embedded-resource'] ? withTypeAndObjectMeta(schema) : schema;
    if (!object.properties) {
      const additional = typeof object.additionalProperties === 'object' ? object.additionalProperties : undefined;
      return `map<string, ${this.declare(additional)}>`;
    }
    const fields: Record<string, string> = {};
    for (const [name, property] of Object.entries(object.properties)) {
      const escaped = escapePropertyName(name);
      if (escaped) fields[escaped] = this.declare(property);
    }
    const typeName = `${this.prefix}${this.count++}`;
    this.env
      .registerType(typeName, { fields })
      // `!=` is derived from `==` by the library.
      .registerOperator(`${typeName} == ${typeName}`, celEquals);
    return typeName;
  }
}

/** A JSON value as CEL reads it under `schema`: ints as bigint, doubles as numbers, escaped property names. */
export function toCelValue(value: unknown, schema: CrdSchemaNode | undefined): unknown {
  if (value === null || value === undefined) return value;
  if (isDyn(schema)) return jsonToCel(value);
  const s = schema as CrdSchemaNode;
  if (s.type === 'number') return value;
  if (s.type === 'array') return Array.isArray(value) ? value.map((item) => toCelValue(item, s.items)) : jsonToCel(value);
  if (s.type === 'object' && typeof value === 'object' && !Array.isArray(value)) {
    const object = s['x-kubernetes-embedded-resource'] ? withTypeAndObjectMeta(s) : s;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (object.properties) {
        const escaped = escapePropertyName(key);
        if (escaped && key in object.properties) out[escaped] = toCelValue(item, object.properties[key]);
      } else out[key] = toCelValue(item, typeof object.additionalProperties === 'object' ? object.additionalProperties : undefined);
    }
    return out;
  }
  return jsonToCel(value);
}
