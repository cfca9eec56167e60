/**
 * Equality of API objects as their readers see them: key order does not count, and a field set to `null` is the
 * same as one left out (Go decodes both to the zero value; custom resources keep a nullable field's `null`, built-in
 * kinds drop it). Components compare the status they computed with the stored one through this, so one writer that
 * spells an unset condition timestamp `null` and another that leaves it out do not rewrite each other's objects.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const leftKeys = Object.keys(left).filter((k) => left[k] != null);
  if (leftKeys.length !== Object.keys(right).filter((k) => right[k] != null).length) return false;
  return leftKeys.every((k) => jsonEqual(left[k], right[k]));
}
