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

/**
 * Per schema node, what defaulting must look at, found once per schema: the properties that carry a default, the
 * properties with a default somewhere below them, and whether the items or the map values take or hold one. A subtree
 * without a default can take none, so it is not walked (KubeVirt's schemas default a handful of fields under
 * spec.volumes only).
 */
interface DefaultingPlan {
  defaulted: Array<[string, CrdSchemaNode]>;
  walked: Array<[string, CrdSchemaNode]>;
  items: boolean;
  values: CrdSchemaNode | undefined;
}

const plans = new WeakMap<CrdSchemaNode, DefaultingPlan | null>();

const takesOrHoldsDefaults = (node: CrdSchemaNode): boolean => node.default !== undefined || planOf(node) !== null;

/** The node's plan; null when no default sits anywhere below it. */
function planOf(schema: CrdSchemaNode): DefaultingPlan | null {
  let plan = plans.get(schema);
  if (plan === undefined) {
    const properties = Object.entries(schema.properties ?? {});
    const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    const found: DefaultingPlan = {
      defaulted: properties.filter(([, property]) => property.default !== undefined),
      walked: properties.filter(([, property]) => planOf(property) !== null),
      items: schema.items !== undefined && takesOrHoldsDefaults(schema.items),
      values: additional && takesOrHoldsDefaults(additional) ? additional : undefined,
    };
    plan = found.defaulted.length || found.walked.length || found.items || found.values ? found : null;
    plans.set(schema, plan);
  }
  return plan;
}

/** Returns `value` itself when no default applied below it. */
export function applySchemaDefaults(value: unknown, schema: CrdSchemaNode | undefined): unknown {
  const plan = schema && planOf(schema);
  if (!schema || !plan) return value;
  if (Array.isArray(value)) {
    if (!plan.items) return value;
    let changed = false;
    const items = value.map((item) => {
      const filled = applySchemaDefaults(needsDefault(item, schema.items) ? structuredClone(schema.items.default) : item, schema.items);
      changed ||= filled !== item;
      return filled;
    });
    return changed ? items : value;
  }
  if (!isObject(value)) return value;
  // Copied on the first change only: most objects need no default anywhere.
  let out: Json | undefined;
  const set = (key: string, child: unknown): void => {
    out ??= { ...value };
    out[key] = child;
  };
  for (const [key, property] of plan.defaulted) {
    if (needsDefault(value[key], property)) set(key, structuredClone(property.default));
  }
  for (const [key, property] of plan.walked) {
    const child = (out ?? value)[key];
    const filled = applySchemaDefaults(child, property);
    if (filled !== child) set(key, filled);
  }
  const additional = plan.values;
  if (additional) {
    for (const [key, child] of Object.entries(out ?? value)) {
      if (schema.properties?.[key]) continue;
      const start = needsDefault(child, additional) ? structuredClone(additional.default) : child;
      const filled = applySchemaDefaults(start, additional);
      if (filled !== child) set(key, filled);
    }
  }
  return out ?? value;
}
