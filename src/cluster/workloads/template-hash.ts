/**
 * controller.ComputeHash: the pod-template-hash label and the
 * controller-revision-hash. Kubernetes hashes the Go struct dump of the
 * template with 32-bit FNV-1a, mixes in the collision count and renders the
 * decimal value in rand.SafeEncodeString's alphabet. The Go dump cannot be
 * reproduced from JSON, so the same hash runs over canonical JSON (sorted
 * keys): the values look like and behave like Kubernetes' (stable per
 * template, changed by any template edit), but are not bit-identical.
 */

/** rand.SafeEncodeString's alphabet: no vowels, no confusable characters. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv32a(bytes: Uint8Array, seed = FNV_OFFSET): number {
  let hash = seed;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  return hash >>> 0;
}

/** Maps each character of `s` into the safe alphabet by its code. */
export const safeEncodeString = (s: string): string => [...s].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function computeHash(template: unknown, collisionCount?: number): string {
  let hash = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    // Go writes the count as 8 little-endian bytes of which the upper four are zero.
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv32a(bytes, hash);
  }
  return safeEncodeString(String(hash));
}
