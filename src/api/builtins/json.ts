/**
 * Small helpers for walking and filling objects kept as plain JSON. Defaulters
 * work on a private deep copy, so filling in place is safe there.
 */

export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The object under `key`, created empty when absent (or not an object). */
export function child(parent: JsonObject, key: string): JsonObject {
  const existing = parent[key];
  if (isObject(existing)) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

/** The objects of the array under `key`; anything that is not an object is skipped. */
export function objectsIn(parent: JsonObject | undefined, key: string): JsonObject[] {
  const list = parent?.[key];
  return Array.isArray(list) ? list.filter(isObject) : [];
}

/** Sets `key` when it is absent or null, as Go defaulters fill nil pointers and zero values. */
export function setDefault(target: JsonObject, key: string, value: unknown): void {
  if (target[key] === undefined || target[key] === null || target[key] === '') target[key] = value;
}

export const asObject = (value: unknown): JsonObject | undefined => (isObject(value) ? value : undefined);

export const stringMap = (value: unknown): Record<string, string> =>
  isObject(value) ? (Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {};

/** JSON text with object keys sorted, so two values compare equal regardless of key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/** The object under `key`, or an empty one; never writes, for read-only walks such as validation. */
export const objectAt = (parent: JsonObject, key: string): JsonObject => asObject(parent[key]) ?? {};
