/**
 * Turns a decoded Kubernetes protobuf message into the JSON object Go's
 * encoding/json would write for the same struct, which is what a JSON client
 * would have sent: JSON keys and inlining from the Go struct tags, int64 as
 * numbers, bytes as base64, the special types by their MarshalJSON, and
 * zero values dropped where the Go field is a plain value with omitempty.
 */
import protobuf from 'protobufjs';
import { goStructFields, type GoJsonField } from './go-json-fields.js';
import { protoDir } from './proto-registry.js';
import { int64, specialTypes, type DecodedMessage } from './special-types.js';

const int64Types = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

export function messageToJson(type: protobuf.Type, message: DecodedMessage): unknown {
  const special = specialTypes.get(qualifiedName(type));
  if (special) return special(message, (m, field) => fieldToJson(type.fields[field], m[field]));
  const goFields = goFieldsOf(type);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!isPresent(message, field.name)) continue;
    const go = goFields?.get(field.id);
    const value = fieldToJson(field, message[field.name]);
    if (go?.inline && isObject(value)) Object.assign(out, value);
    else if (!(go && droppedAsEmpty(go, field, value))) out[go?.json || field.name] = value;
  }
  return out;
}

/** A repeated or map field arrives as an empty array/object even when absent; Go would decode nil. */
function isPresent(message: DecodedMessage, name: string): boolean {
  if (!Object.hasOwn(message, name)) return false;
  const value = message[name];
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Uint8Array) return true;
  return typeof value !== 'object' || !isPlainMap(value) || Object.keys(value).length > 0;
}

/** encoding/json's omitempty for a plain (non-pointer) scalar; structs are never omitted. */
function droppedAsEmpty(go: GoJsonField, field: protobuf.Field, value: unknown): boolean {
  if (!go.omitEmpty || go.pointer || field.resolvedType instanceof protobuf.Type) return false;
  return value === '' || value === 0 || value === false;
}

function fieldToJson(field: protobuf.Field, value: unknown): unknown {
  if (field instanceof protobuf.MapField) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, scalarOrMessage(field, item)]));
  }
  if (field.repeated) return (value as unknown[]).map((item) => scalarOrMessage(field, item));
  return scalarOrMessage(field, value);
}

function scalarOrMessage(field: protobuf.Field | protobuf.MapField, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageToJson(resolved, value as DecodedMessage);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64');
  if (int64Types.has(field.type)) return Number(int64(value));
  return value;
}

/** The Go structs of the message's package, when its directory keeps them. */
function goFieldsOf(type: protobuf.Type): Map<number, GoJsonField> | undefined {
  const file = type.filename;
  if (!file?.startsWith(protoDir)) return undefined;
  const importPath = file
    .slice(protoDir.length)
    .replace(/^\//, '')
    .replace(/\/generated\.proto$/, '');
  return goStructFields(importPath).get(type.name);
}

const qualifiedName = (type: protobuf.Type): string => type.fullName.replace(/^\./, '');

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isPlainMap = (value: object): boolean => !(value instanceof protobuf.Message) && Object.getPrototypeOf(value) === Object.prototype;
