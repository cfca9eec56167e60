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
  let changed = false;
  const out: Json = { ...value };
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (needsDefault(value[key], property)) {
      out[key] = structuredClone(property.default);
      changed = true;
    }
  }
  for (const [key, child] of Object.entries(out)) {
    const childSchema = schema.properties?.[key] ?? additional;
    const start = childSchema === additional && needsDefault(child, additional) ? structuredClone(additional.default) : child;
    const filled = applySchemaDefaults(start, childSchema);
    if (filled !== child) {
      out[key] = filled;
      changed = true;
    }
  }
  return changed ? out : value;
}
