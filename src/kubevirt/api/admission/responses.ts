/**
 * How virt-api's admitters answer (pkg/virt-api/webhooks/utils.go): a list
 * of causes is a 422 Invalid whose message joins the causes' messages, a
 * plain error a 400, a mutation a base64 JSONPatch replacing whole subtrees.
 */
import type { StatusCause } from '../../../api/errors.js';
import { deepClone, type JsonValue } from '../../../api/patch/json.js';
import type { KubeObject } from '../../../api/types.js';
import { jsonPatchResponse, sameJson } from '../../../admission/webhooks/in-process-patch.js';
import type { AdmissionRequest, AdmissionResponse, AdmissionReview } from '../../../admission/webhooks/types.js';
import type { Operation } from '../../../api/patch/json-patch.js';

export type CauseType =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueNotFound'
  | 'FieldValueForbidden';

export interface Cause extends StatusCause {
  reason: CauseType;
  message: string;
}

export const cause = (reason: CauseType, message: string, field?: string): Cause =>
  field === undefined ? { reason, message } : { reason, message, field };

/** The request of a review; the apiserver always sends one. */
export function requestOf(review: AdmissionReview): AdmissionRequest {
  if (!review.request) throw new Error('AdmissionReview without a request');
  return review.request;
}

export const allowed = (request: AdmissionRequest, warnings: string[] = []): AdmissionResponse => ({
  uid: request.uid,
  allowed: true,
  ...(warnings.length ? { warnings } : {}),
});

/** ToAdmissionResponse: 422 Invalid with every cause; the message joins them with ", ". */
export function invalidResponse(request: AdmissionRequest, causes: Cause[], warnings: string[] = []): AdmissionResponse {
  return {
    uid: request.uid,
    allowed: false,
    status: { message: causes.map((c) => c.message).join(', '), reason: 'Invalid', code: 422, details: { causes } },
    ...(warnings.length ? { warnings } : {}),
  };
}

/** ToAdmissionResponseError: a 400 with the error's text and no reason. */
export const errorResponse = (request: AdmissionRequest, message: string, code = 400): AdmissionResponse => ({
  uid: request.uid,
  allowed: false,
  status: { message, code },
});

/** Causes → 422, none → allowed. */
export const verdict = (request: AdmissionRequest, causes: Cause[], warnings: string[] = []): AdmissionResponse =>
  causes.length ? invalidResponse(request, causes, warnings) : allowed(request, warnings);

/**
 * A JSONPatch that replaces the given top-level members of the object whose JSON changed, as virt-api's mutators
 * patch /spec, /metadata and /status; handed to the apiserver in this process as operations, not as text.
 */
export function replacing(request: AdmissionRequest, mutated: KubeObject, members: string[], warnings: string[] = []): AdmissionResponse {
  const original = (request.object ?? {}) as Record<string, unknown>;
  const operations = members
    .filter((m) => !sameJson(original[m], mutated[m]))
    .map(
      (m): Operation =>
        mutated[m] === undefined
          ? { op: 'remove', path: `/${m}` }
          : { op: original[m] === undefined ? 'add' : 'replace', path: `/${m}`, value: mutated[m] as JsonValue },
    );
  if (operations.length === 0) return allowed(request, warnings);
  return jsonPatchResponse(allowed(request, warnings), operations);
}

/** A deep, mutable copy of a (possibly frozen) object from the review. */
export const mutableCopy = <T>(value: T): T => deepClone(value);
