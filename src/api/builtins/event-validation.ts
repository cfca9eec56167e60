/**
 * ValidateEventCreate for an events.k8s.io/v1 request (pkg/apis/core/validation/events.go). kube validates the internal
 * Event against the request's group version: core/v1 writes stay lenient for old clients (the in-process recorders
 * among them), events.k8s.io/v1 creates must be complete new-style Events. The checks read the events/v1 fields of
 * the request, but name the internal (core) fields in their errors, as kube's do.
 */
import type { FieldError } from '../errors.js';
import { qualifiedNameMessages } from '../validation/objectmeta.js';
import { invalidValue, required } from './field-errors.js';
import { objectAt, type JsonObject } from './json.js';
import { dns1123SubdomainMessages } from './names.js';

const REPORTING_INSTANCE_LENGTH_LIMIT = 128;
const ACTION_LENGTH_LIMIT = 128;
const REASON_LENGTH_LIMIT = 128;
const NOTE_LENGTH_LIMIT = 1024;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
/** A zero metav1.Time/MicroTime: absent or null on the wire. */
const isZeroTime = (value: unknown): boolean => value === undefined || value === null || value === '';
const tooLong = (field: string, limit: number) => invalidValue(field, '', `can have at most ${limit} characters`);
const unset = (field: string) => invalidValue(field, '', 'needs to be unset');

/** legacyValidateEvent, which every Event passes whatever its version; an events/v1 create always has an eventTime. */
function legacyChecks(event: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  const namespace = text(objectAt(event, 'metadata').namespace);
  const regardingNamespace = text(objectAt(event, 'regarding').namespace);
  if (isZeroTime(event.eventTime)) {
    const matches = regardingNamespace ? namespace === regardingNamespace : namespace === '' || namespace === 'default';
    if (!matches) errors.push(invalidValue('involvedObject.namespace', regardingNamespace, 'does not match event.namespace'));
  } else {
    if (!regardingNamespace && namespace !== 'default' && namespace !== 'kube-system')
      errors.push(invalidValue('involvedObject.namespace', regardingNamespace, 'does not match event.namespace'));
    const controller = text(event.reportingController);
    if (!controller) errors.push(required('reportingController'));
    for (const message of qualifiedNameMessages(controller)) errors.push(invalidValue('reportingController', controller, message));
    const instance = text(event.reportingInstance);
    if (!instance) errors.push(required('reportingInstance'));
    if (instance.length > REPORTING_INSTANCE_LENGTH_LIMIT) errors.push(tooLong('reportingInstance', REPORTING_INSTANCE_LENGTH_LIMIT));
    const action = text(event.action);
    if (!action) errors.push(required('action'));
    if (action.length > ACTION_LENGTH_LIMIT) errors.push(tooLong('action', ACTION_LENGTH_LIMIT));
    const reason = text(event.reason);
    if (!reason) errors.push(required('reason'));
    if (reason.length > REASON_LENGTH_LIMIT) errors.push(tooLong('reason', REASON_LENGTH_LIMIT));
    if (text(event.note).length > NOTE_LENGTH_LIMIT) errors.push(tooLong('message', NOTE_LENGTH_LIMIT));
  }
  for (const message of dns1123SubdomainMessages(namespace)) errors.push(invalidValue('namespace', namespace, message));
  return errors;
}

/** validateV1EventSeries. */
function seriesChecks(event: JsonObject): FieldError[] {
  if (!event.series || typeof event.series !== 'object') return [];
  const series = event.series as JsonObject;
  const errors: FieldError[] = [];
  if (typeof series.count !== 'number' || series.count < 2) errors.push(invalidValue('series.count', '', 'should be at least 2'));
  if (isZeroTime(series.lastObservedTime)) errors.push(required('series.lastObservedTime'));
  return errors;
}

/** An events.k8s.io/v1 create: legacy checks, then the strict ones of the new API. */
export function validateEventsV1Create(event: JsonObject): FieldError[] {
  const errors = [...legacyChecks(event), ...seriesChecks(event)];
  if (isZeroTime(event.eventTime)) errors.push(required('eventTime'));
  if (event.type !== 'Normal' && event.type !== 'Warning') errors.push(invalidValue('type', '', `has invalid value: ${text(event.type)}`));
  if (!isZeroTime(event.deprecatedFirstTimestamp)) errors.push(unset('firstTimestamp'));
  if (!isZeroTime(event.deprecatedLastTimestamp)) errors.push(unset('lastTimestamp'));
  if (typeof event.deprecatedCount === 'number' && event.deprecatedCount !== 0) errors.push(unset('count'));
  const source = objectAt(event, 'deprecatedSource');
  if (text(source.component) || text(source.host)) errors.push(unset('source'));
  return errors;
}
