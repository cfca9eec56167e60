/**
 * Structural defaulting (apiextensions-apiserver's algorithm): an absent
 * field, or a null one that is not nullable, takes its schema `default`; the
 * walk then continues into every field, defaults included.
 */
import type { CrdSchemaNode } from './crd-types.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const needsDefault = (value: unknown, schema: CrdSchemaNode | undefined): schema is CrdSchemaNode =>
  schema?.default !== undefined && (value === undefined || (value === null && !schema.nullable));

/** Per schema node, the properties that carry a default: found once, not on every object of every write. */
const defaultedProperties = new WeakMap<CrdSchemaNode, Array<[string, CrdSchemaNode]>>();

function propertiesWithDefaults(schema: CrdSchemaNode): Array<[string, CrdSchemaNode]> {
  let properties = defaultedProperties.get(schema);
  if (!properties) {
    properties = Object.entries(schema.properties ?? {}).filter(([, property]) => property.default !== undefined);
    defaultedProperties.set(schema, properties);
  }
  return properties;
}

/** Returns `value` itself when no default applied below it. */
export function applySchemaDefaults(value: unknown, schema: CrdSchemaNode | undefined): unknown {
  if (!schema) return value;
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const filled = applySchemaDefaults(needsDefault(item, schema.items) ? structuredClone(schema.items.default) : item, schema.items);
      changed ||= filled !== item;
      return filled;
    });
    return changed ? items : value;
  }
  if (!isObject(value)) return value;
  const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  // Copied on the first change only: most objects need no default anywhere.
  let out: Json | undefined;
  const set = (key: string, child: unknown): void => {
    out ??= { ...value };
    out[key] = child;
  };
  for (const [key, property] of propertiesWithDefaults(schema)) {
    if (needsDefault(value[key], property)) set(key, structuredClone(property.default));
  }
  for (const [key, child] of Object.entries(out ?? value)) {
    const childSchema = schema.properties?.[key] ?? additional;
    const start = childSchema === additional && needsDefault(child, additional) ? structuredClone(additional.default) : child;
    const filled = applySchemaDefaults(start, childSchema);
    if (filled !== child) set(key, filled);
  }
  return out ?? value;
}
