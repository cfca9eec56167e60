/**
 * Kubernetes Status errors. Every failure a client can see is one of these,
 * carrying the reason and HTTP code the real apiserver uses.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'ServerTimeout'
  | 'Timeout'
  | 'TooManyRequests'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'ServiceUnavailable'
  | '';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  /** Empty, except for the fresh continue token of an expired list (kube's inconsistent-continue answer). */
  metadata: { continue?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** Identifies the resource an error is about, for `details` and messages. */
export interface ErrorSubject {
  group: string;
  /** The plural resource name, e.g. "pods". */
  resource: string;
  name?: string;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** "pods" for the core group, "deployments.apps" otherwise, as Kubernetes quotes resources in messages. */
export const qualifiedResource = (s: ErrorSubject): string => (s.group ? `${s.resource}.${s.group}` : s.resource);

function subjectDetails(s: ErrorSubject): StatusDetails {
  const details: StatusDetails = { name: s.name, kind: s.resource };
  if (s.group) details.group = s.group;
  return details;
}

export const notFound = (s: ErrorSubject): StatusError =>
  new StatusError(404, 'NotFound', `${qualifiedResource(s)} "${s.name}" not found`, subjectDetails(s));

export const alreadyExists = (s: ErrorSubject): StatusError =>
  new StatusError(409, 'AlreadyExists', `${qualifiedResource(s)} "${s.name}" already exists`, subjectDetails(s));

export const conflict = (
  s: ErrorSubject,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): StatusError =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(s)} "${s.name}": ${why}`, subjectDetails(s));

export const badRequest = (message: string): StatusError => new StatusError(400, 'BadRequest', message);

export const methodNotAllowed = (message: string): StatusError => new StatusError(405, 'MethodNotAllowed', message);

/**
 * go-restful's answer when no route of a built-in resource takes the method (genericapiserver's serviceErrorHandler
 * wraps the router's "405: Method Not Allowed" with apierrors.NewGenericServerResponse, which keeps it as a cause).
 */
export const noRouteForMethod = (): StatusError =>
  new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {
    causes: [{ reason: 'UnexpectedServerResponse', message: '405: Method Not Allowed' }],
  });

export const gone = (message: string): StatusError => new StatusError(410, 'Expired', message);

export const tooLarge = (message = 'Request entity too large: limit is 3145728'): StatusError =>
  new StatusError(413, 'RequestEntityTooLarge', message);

export const unsupportedMediaType = (message: string): StatusError => new StatusError(415, 'UnsupportedMediaType', message);

/** apierrors.NewServerTimeout: what kube-apiserver answers when etcd is out of reach (storage.IsUnreachable). */
export const serverTimeout = (s: ErrorSubject, operation: string, retryAfterSeconds: number): StatusError =>
  new StatusError(
    500,
    'ServerTimeout',
    `The ${operation} operation against ${qualifiedResource(s)} could not be completed at this time, please try again.`,
    {
      name: operation,
      ...(s.group ? { group: s.group } : {}),
      kind: s.resource,
      retryAfterSeconds,
    },
  );

export const internalError = (message: string): StatusError =>
  new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });

/**
 * storage.NewTooLargeResourceVersionError: the server has not reached the
 * resourceVersion a read asked for. The watch cache asks to retry after 1 s;
 * etcd's own check gives no retry hint.
 */
export const tooLargeResourceVersion = (requested: number, current: number, retryAfterSeconds = 0): StatusError =>
  new StatusError(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
  });

export const serviceUnavailable = (message: string): StatusError => new StatusError(503, 'ServiceUnavailable', message);

export const tooManyRequests = (message: string, retryAfterSeconds?: number): StatusError =>
  new StatusError(429, 'TooManyRequests', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds });

export const forbidden = (s: ErrorSubject, why: string): StatusError =>
  new StatusError(403, 'Forbidden', `${qualifiedResource(s)} "${s.name ?? ''}" is forbidden: ${why}`, subjectDetails(s));

/**
 * 422 Invalid: `The <Kind> "<name>" is invalid: <field>: <message>, ...`, one
 * cause per field error, as the apiserver words it.
 */
export class FieldError {
  constructor(
    readonly reason:
      | 'FieldValueInvalid'
      | 'FieldValueRequired'
      | 'FieldValueNotSupported'
      | 'FieldValueDuplicate'
      | 'FieldValueForbidden'
      | 'FieldValueTooLong'
      | 'FieldValueTypeInvalid'
      | 'FieldValueTooMany',
    readonly field: string,
    readonly message: string,
  ) {}
}

export function invalid(kind: string, group: string, name: string, errors: FieldError[]): StatusError {
  const summary = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  const joined = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  const details: StatusDetails = { name, kind, causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })) };
  if (group) details.group = group;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new StatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${joined}`, details);
}

export function asStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return internalError(message);
}
