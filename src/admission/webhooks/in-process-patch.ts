/**
 * A JSONPatch answer from a webhook server in this process, handed over
 * without its wire form. A server on the network sends base64 of the JSON
 * of its operations and the apiserver decodes and parses them; here the
 * operations stay objects, with their values as that round trip would give
 * them back (asJson), and `patch` is encoded only if something reads it.
 * The caller applies them as it applies a decoded patch.
 */
import type { Operation } from '../../api/patch/json-patch.js';
import type { JsonValue } from '../../api/patch/json.js';
import type { AdmissionResponse } from './types.js';

const decodedPatches = new WeakMap<AdmissionResponse, readonly Operation[]>();

/** `response` with a JSONPatch of `operations`, which the caller takes as they are. */
export function jsonPatchResponse(response: AdmissionResponse, operations: readonly Operation[]): AdmissionResponse {
  const asSent = operations.map((operation) => asJson(operation) as Operation);
  let encoded: string | undefined;
  const answer = { ...response };
  Object.defineProperty(answer, 'patch', {
    enumerable: true,
    get: () => (encoded ??= Buffer.from(JSON.stringify(asSent)).toString('base64')),
  });
  answer.patchType = 'JSONPatch';
  decodedPatches.set(answer, asSent);
  return answer;
}

/** The operations of an answer built by jsonPatchResponse (undefined for any other: decode its `patch`). */
export const decodedPatchOf = (response: AdmissionResponse): readonly Operation[] | undefined => decodedPatches.get(response);

/** What JSON.stringify writes nothing for: a member holding it is left out, an array item becomes null. */
const unwritable = (value: unknown): boolean => value === undefined || typeof value === 'function' || typeof value === 'symbol';

/** A value as JSON.stringify reads it: toJSON applied, non-finite numbers written as null. */
function written(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return written((value as { toJSON: () => unknown }).toJSON());
  return value;
}

/** `value` as JSON.parse(JSON.stringify(value)) gives it back (undefined where nothing would be written), a copy. */
export function asJson(value: unknown): JsonValue | undefined {
  const plain = written(value);
  if (unwritable(plain)) return undefined;
  if (typeof plain !== 'object' || plain === null) return (plain === 0 ? 0 : plain) as JsonValue;
  if (Array.isArray(plain)) return plain.map((item) => asJson(item) ?? null);
  const copy: Record<string, JsonValue> = {};
  for (const key of Object.keys(plain)) {
    const member = asJson((plain as Record<string, unknown>)[key]);
    if (member === undefined) continue;
    // JSON.parse makes "__proto__" an own member, as any other.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: member, enumerable: true, writable: true, configurable: true });
    else copy[key] = member;
  }
  return copy;
}

/** Whether JSON.stringify writes the same text for both, without writing it (member order counts, as in the text). */
export function sameJson(a: unknown, b: unknown): boolean {
  const left = written(a);
  const right = written(b);
  if (left === right) return true;
  if (unwritable(left) || unwritable(right)) return unwritable(left) && unwritable(right);
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  if (Array.isArray(left)) {
    const other = right as unknown[];
    if (left.length !== other.length) return false;
    const item = (value: unknown) => (unwritable(written(value)) ? null : value);
    return left.every((value, i) => sameJson(item(value), item(other[i])));
  }
  const leftObject = left as Record<string, unknown>;
  const rightObject = right as Record<string, unknown>;
  const leftKeys = Object.keys(leftObject);
  const rightKeys = Object.keys(rightObject);
  // The written members of both, pairwise in order.
  for (let i = 0, j = 0; ; i++, j++) {
    while (i < leftKeys.length && unwritable(written(leftObject[leftKeys[i]]))) i++;
    while (j < rightKeys.length && unwritable(written(rightObject[rightKeys[j]]))) j++;
    if (i === leftKeys.length || j === rightKeys.length) return i === leftKeys.length && j === rightKeys.length;
    if (leftKeys[i] !== rightKeys[j] || !sameJson(leftObject[leftKeys[i]], rightObject[rightKeys[j]])) return false;
  }
}
