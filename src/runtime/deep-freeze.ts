/**
 * Informer caches hand the same object to every reader, so it must be
 * immutable. Objects from the store arrive frozen already (its sharing walk); objects
 * decoded from HTTP do not, and are frozen once here.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
