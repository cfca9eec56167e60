/**
 * Comparison and equality of CEL runtime values (bigint ints, number doubles,
 * strings, booleans, lists, maps) for the kube libraries that order or search
 * lists, plus the conversion of JSON into CEL values and back.
 */

/** Orders two CEL values of comparable types, as CEL's `<` does. */
export function celCompare(a: unknown, b: unknown): number {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number'))
    return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (isComparable(a) && isComparable(b)) return a.compareTo(b);
  throw new Error(`no such overload: ${typeName(a)} < ${typeName(b)}`);
}

interface Comparable {
  compareTo(other: unknown): number;
}

const isComparable = (v: unknown): v is Comparable => typeof (v as Comparable | null)?.compareTo === 'function';

function typeName(v: unknown): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (Array.isArray(v)) return 'list';
  return typeof v;
}

/** CEL equality: numbers across int and double, lists and maps by content. */
export function celEquals(a: unknown, b: unknown): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => celEquals(v, b[i]));
  if (a instanceof Map || b instanceof Map) return celEquals(mapObject(a), mapObject(b));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && celEquals(a[k], b[k]));
  }
  if (isComparable(a) && isComparable(b) && a.constructor === b.constructor) return a.compareTo(b) === 0;
  return a === b;
}

const mapObject = (v: unknown): unknown => (v instanceof Map ? Object.fromEntries(v) : v);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * JSON as CEL sees it: integral numbers are ints (bigint), other numbers
 * doubles, as apimachinery's JSON decoding makes int64 and float64. Where the
 * schema says `number`, the caller passes `doubles` to keep them doubles.
 */
export function jsonToCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(jsonToCel);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonToCel(v);
    return out;
  }
  return value;
}

/** A CEL result as JSON (audit annotations, messages): ints become numbers, maps objects. */
export function celToJson(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(celToJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), celToJson(v)]));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, celToJson(v)]));
  return value;
}
