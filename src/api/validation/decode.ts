/**
 * The decode step of a write as kube-apiserver reports it: a body whose
 * fields do not fit the kind's Go types is a 400 "<Kind> in version "<v>"
 * cannot be handled as a <Kind>: ...", and a patch whose result does not fit
 * them is a 422 on the field "patch" with the patched object as its value
 * (the patcher's DecodeInto failing). Custom resources are checked for their
 * metadata only; their own fields are the CRD schema's business.
 */
import { badRequest, invalid, type StatusError } from '../errors.js';
import { invalidValue } from '../builtins/field-errors.js';
import { definitionNameForGvk } from '../patch/schema-node.js';
import type { ResourceType } from '../types.js';
import { builtinTypeMismatch, goJsonMessage, objectMetaTypeMismatch, unstructuredMessage } from './go-decode.js';

const jsonTypeName = (value: unknown): string =>
  Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value === 'object' ? 'object' : typeof value;

/**
 * apiVersion or kind that are not strings: the serializer's first step (finding the kind, into an anonymous
 * struct) fails, so the message names no kind of the body's own.
 */
export function typeMetaError(type: ResourceType, obj: Record<string, unknown>): StatusError | undefined {
  const wrong = (f: 'apiVersion' | 'kind') => obj[f] !== undefined && typeof obj[f] !== 'string';
  const field = wrong('apiVersion') ? 'apiVersion' : wrong('kind') ? 'kind' : undefined;
  if (!field) return undefined;
  const body = JSON.stringify(obj);
  const summary = body.length > 30 ? `${body.slice(0, 30)} ...` : body;
  return badRequest(
    `the object provided is unrecognized (must be of type ${type.kind}): couldn't get version/kind; json parse error: ` +
      `json: cannot unmarshal ${jsonTypeName(obj[field])} into Go struct field .${field} of type string (${summary})`,
  );
}

/** The decoder's message for the first field of the wrong type, if any. */
function typeMismatchMessage(type: ResourceType, obj: Record<string, unknown>): string | undefined {
  if (type.custom) {
    const mismatch = objectMetaTypeMismatch(obj.metadata);
    return mismatch && unstructuredMessage(mismatch);
  }
  const definition = definitionNameForGvk(type.group, type.version, type.kind);
  const mismatch = definition ? builtinTypeMismatch(obj, definition) : undefined;
  return mismatch && goJsonMessage(mismatch);
}

/** A request body that does not decode into the kind (400 BadRequest). */
export function decodeTypeError(type: ResourceType, obj: Record<string, unknown>): StatusError | undefined {
  const message = typeMismatchMessage(type, obj);
  return message === undefined
    ? undefined
    : badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${message}`);
}

/** A patched object that does not decode into the kind (422 Invalid on "patch", no kind, no name). */
export function patchedTypeError(type: ResourceType, patched: Record<string, unknown>): StatusError | undefined {
  const message = typeMismatchMessage(type, patched);
  return message === undefined ? undefined : invalid('', '', '', [invalidValue('patch', JSON.stringify(patched), message)]);
}

/**
 * A DeleteOptions body with a field of the wrong type. kube-apiserver passes this decode error on unconverted
 * (a 500); it is the client's error, so it answers 400 here, worded as the object decoder words it.
 */
export function deleteOptionsTypeError(body: Record<string, unknown>): StatusError | undefined {
  const mismatch = builtinTypeMismatch(body, 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  return mismatch && badRequest(`DeleteOptions in version "v1" cannot be handled as a DeleteOptions: ${goJsonMessage(mismatch)}`);
}
