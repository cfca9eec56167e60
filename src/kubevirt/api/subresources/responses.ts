/**
 * How virt-api answers (go-restful): Status objects for errors (writeError),
 * empty bodies with a code for accepted actions, JSON entities, and the
 * plain-text `WriteError(500, err)` some GET handlers use. Also the errors
 * virt-api builds with KubeVirt's singular resource names
 * (`virtualmachine.kubevirt.io "x" not found`).
 */
import { parse as parseYaml } from 'yaml';
import { StatusError, badRequest, conflict, internalError, notFound } from '../../../api/errors.js';
import type { BackendResponse } from '../../../api/extension-points.js';

export const empty = (status: number): BackendResponse => ({ status });

export const json = (body: unknown, status = 200): BackendResponse => ({
  status,
  contentType: 'application/json',
  body: JSON.stringify(body),
});

export const statusResponse = (error: StatusError): BackendResponse => json(error.toStatus(), error.code);

/** go-restful's WriteError: the error's text as the body. */
export const plainError = (status: number, error: Error): BackendResponse => ({ status, contentType: 'text/plain', body: error.message });

const KUBEVIRT_GROUP = 'kubevirt.io';

export type Subject = 'virtualmachine' | 'virtualmachineinstance';

export const subjectConflict = (subject: Subject, name: string, why: string): StatusError =>
  conflict({ group: KUBEVIRT_GROUP, resource: subject, name }, why);

export const subjectNotFound = (subject: Subject, name: string): StatusError =>
  notFound({ group: KUBEVIRT_GROUP, resource: subject, name });

export const vmConflict = (name: string, why: string) => subjectConflict('virtualmachine', name, why);
export const vmiConflict = (name: string, why: string) => subjectConflict('virtualmachineinstance', name, why);

/** virt-api's message texts (pkg/virt-api/rest). */
export const MESSAGES = {
  vmNotRunning: 'VM is not running',
  vmiNotRunning: 'VMI is not running',
  vmiNotPaused: 'VMI is not paused',
  vmiGuestAgent: 'VMI does not have guest agent connected',
  vmSnapshotInProgress: 'VM snapshot is in progress',
  manualRecoveryRequired:
    'VM recovery required: Volume migration failed, leaving some volumes pointing to non-consistent targets; manual intervention is needed to reassign them to their original volumes.',
} as const;

/** Anything thrown while handling becomes a Status: StatusErrors as they are, the rest as 500. */
export function asStatus(err: unknown): StatusError {
  return err instanceof StatusError ? err : internalError(err instanceof Error ? err.message : String(err));
}

/**
 * Decodes an options body the way virt-api does (a YAML-or-JSON decoder into
 * the options struct): no body is the zero options, anything that is not an
 * object is a 400 `Can not unmarshal Request body to struct, error: ...`.
 */
export function decodeOptions<T extends object>(body: Buffer | undefined, goType: string): T {
  if (!body || body.toString('utf8').trim() === '') return {} as T;
  let value: unknown;
  try {
    value = parseYaml(body.toString('utf8'));
  } catch (err) {
    throw unmarshalError((err as Error).message);
  }
  if (value === null || value === undefined) return {} as T;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw unmarshalError(`json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go value of type ${goType}`);
  }
  return value as T;
}

export const unmarshalError = (detail: string): StatusError => badRequest(`Can not unmarshal Request body to struct, error: ${detail}`);

/** `dryRun: ["All"]` in an options body. */
export const isDryRun = (options: { dryRun?: unknown }): boolean => Array.isArray(options.dryRun) && options.dryRun[0] === 'All';
