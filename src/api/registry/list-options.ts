/**
 * The checks kube-apiserver makes of a list or watch's query before reading
 * anything (ValidateListOptions in apimachinery's internalversion
 * validation): 422 on ListOptions.meta.k8s.io. The emulator serves no
 * watch-list (sendInitialEvents), and says so as a server without the
 * WatchList feature gate does, so client-go falls back to list and watch.
 */
import { forbidden, notSupported } from '../builtins/field-errors.js';
import { invalid, type FieldError } from '../errors.js';

export interface ListOptionsQuery {
  watch: boolean;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  continue?: string;
  sendInitialEvents?: string;
}

export function validateListOptions(query: ListOptionsQuery): void {
  const errors = query.watch ? watchErrors(query) : listErrors(query);
  if (errors.length === 0) return;
  const error = invalid('ListOptions', 'meta.k8s.io', '', errors);
  // metav1.StatusDetails omits an empty name.
  delete error.details!.name;
  throw error;
}

function listErrors(query: ListOptionsQuery): FieldError[] {
  const errors: FieldError[] = [];
  const match = query.resourceVersionMatch;
  if (match) {
    if (!query.resourceVersion) errors.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (query.continue) errors.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') errors.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && query.resourceVersion === '0') {
      errors.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (query.sendInitialEvents !== undefined) errors.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errors;
}

function watchErrors(query: ListOptionsQuery): FieldError[] {
  const errors: FieldError[] = [];
  const match = query.resourceVersionMatch;
  if (query.sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') errors.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    errors.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
  }
  if (match) {
    if (query.sendInitialEvents === undefined) errors.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== 'NotOlderThan') errors.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
    if (query.continue) errors.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  return errors;
}
