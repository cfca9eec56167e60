/**
 * The Kubernetes types whose JSON form is not their protobuf message's field
 * by field form: each implements MarshalJSON in Go. Keys are fully qualified
 * proto message names.
 */
import { badRequest } from '../../api/errors.js';
import { formatGoDuration } from './go-duration.js';

/** A decoded message: its own properties are the fields present on the wire. */
export type DecodedMessage = Record<string, unknown>;

/** Converts the message held in one field of `message` to JSON with the generic rules. */
export type NestedToJson = (message: DecodedMessage, field: string) => unknown;

export type SpecialToJson = (message: DecodedMessage, nested: NestedToJson) => unknown;

const meta = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const apiextensions = 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1';

/** Seconds since the epoch of Go's zero time.Time, which encodes as JSON null. */
const goZeroTimeSeconds = -62135596800n;

export const specialTypes = new Map<string, SpecialToJson>([
  [`${meta}.Time`, (m) => timestamp(m, false)],
  [`${meta}.MicroTime`, (m) => timestamp(m, true)],
  [`${meta}.Duration`, (m) => formatGoDuration(int64(m.duration))],
  [`${meta}.FieldsV1`, (m) => rawJson(m.Raw, 'FieldsV1')],
  [`${meta}.Verbs`, (m) => stringItems(m)],
  ['k8s.io.api.authentication.v1.ExtraValue', (m) => stringItems(m)],
  ['k8s.io.api.authorization.v1.ExtraValue', (m) => stringItems(m)],
  ['k8s.io.api.certificates.v1.ExtraValue', (m) => stringItems(m)],
  ['k8s.io.apimachinery.pkg.api.resource.Quantity', quantity],
  ['k8s.io.apimachinery.pkg.api.resource.QuantityValue', quantity],
  ['k8s.io.apimachinery.pkg.util.intstr.IntOrString', intOrString],
  ['k8s.io.apimachinery.pkg.runtime.RawExtension', (m) => rawJson(m.raw, 'RawExtension')],
  [`${apiextensions}.JSON`, (m) => rawJson(m.raw, 'JSON')],
  [
    `${apiextensions}.JSONSchemaPropsOrArray`,
    (m, nested) => (isNonEmptyArray(m.jSONSchemas) ? nested(m, 'jSONSchemas') : schemaOrNull(m, nested)),
  ],
  [`${apiextensions}.JSONSchemaPropsOrBool`, (m, nested) => (has(m, 'schema') ? nested(m, 'schema') : m.allows === true)],
  [
    `${apiextensions}.JSONSchemaPropsOrStringArray`,
    (m, nested) => (isNonEmptyArray(m.property) ? [...m.property] : schemaOrNull(m, nested)),
  ],
]);

/** An int64 field as protobufjs hands it over: a number, or a Long when the long package is present. */
export function int64(value: unknown): bigint {
  if (value === undefined || value === null) return 0n;
  return BigInt(String(value));
}

const has = (m: DecodedMessage, field: string): boolean => Object.hasOwn(m, field) && m[field] !== null;

const isNonEmptyArray = (value: unknown): value is unknown[] => Array.isArray(value) && value.length > 0;

const schemaOrNull = (m: DecodedMessage, nested: NestedToJson): unknown => (has(m, 'schema') ? nested(m, 'schema') : null);

const stringItems = (m: DecodedMessage): string[] => (Array.isArray(m.items) ? (m.items as string[]).slice() : []);

/** A Quantity travels as its canonical string; the zero Quantity prints as "0". */
function quantity(m: DecodedMessage): string {
  return typeof m.string === 'string' && m.string !== '' ? m.string : '0';
}

/** Type 1 is a string; anything else the integer, as intstr.IntOrString.MarshalJSON decides. */
function intOrString(m: DecodedMessage): string | number {
  if (int64(m.type) === 1n) return typeof m.strVal === 'string' ? m.strVal : '';
  return typeof m.intVal === 'number' ? m.intVal : 0;
}

/** metav1.Time: RFC 3339 in UTC to the second; MicroTime: with six fractional digits; the zero time: null. */
function timestamp(m: DecodedMessage, micro: boolean): string | null {
  if (!has(m, 'seconds') && !has(m, 'nanos')) return null;
  const seconds = int64(m.seconds);
  const nanos = typeof m.nanos === 'number' ? m.nanos : 0;
  if (seconds === goZeroTimeSeconds && nanos === 0) return null;
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return micro ? `${whole}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${whole}Z`;
}

/** Raw JSON bytes embedded in a message; no bytes is JSON null, as in Go. */
function rawJson(raw: unknown, typeName: string): unknown {
  if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch (err) {
    throw badRequest(`unable to decode ${typeName} in protobuf body: ${(err as Error).message}`);
  }
}
