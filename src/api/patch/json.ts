/**
 * Plain JSON values as the patch engines see them, and the few helpers every
 * engine needs to handle them without mutating frozen inputs.
 */

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A mutable deep copy of a JSON value (the engines that follow Kubernetes'
 * in-place algorithms, strategies and webhooks work on these; stored objects
 * are frozen). A plain recursive copy: every write path makes several, and it
 * is an order of magnitude faster than structuredClone on API objects.
 */
export function deepClone<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = deepClone(value[i]);
    return copy as T;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = deepClone((value as Record<string, unknown>)[key]);
  return copy as T;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Removes null-valued keys from objects at any depth (array elements themselves are kept). */
export function withoutNulls(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isJsonObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null) result[key] = withoutNulls(child);
  }
  return result;
}

/** How Go's encoding/json names a JSON value's type in its decode errors. */
export function goJsonTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'object':
      return 'object';
    case 'boolean':
      return 'bool';
    default:
      return typeof value;
  }
}

/**
 * A new object with the first `count` of `value`'s fields (`keys` in order): where a walk that copies an object only
 * once a field changes starts its copy, so an unchanged object is handed back as it is.
 */
export function fieldsBefore(value: Record<string, unknown>, keys: readonly string[], count: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (let k = 0; k < count; k++) copy[keys[k]] = value[keys[k]];
  return copy;
}
