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

const matchField = 'resourceVersionMatch';

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
    if (!query.resourceVersion) errors.push(forbidden(matchField, 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (query.continue) errors.push(forbidden(matchField, 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') errors.push(notSupported(matchField, match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && query.resourceVersion === '0') {
      errors.push(forbidden(matchField, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (query.sendInitialEvents !== undefined) errors.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errors;
}

function watchErrors(query: ListOptionsQuery): FieldError[] {
  const errors: FieldError[] = [];
  const match = query.resourceVersionMatch;
  if (query.sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan')
      errors.push(forbidden(matchField, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    errors.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
  }
  if (match) {
    if (query.sendInitialEvents === undefined) {
      errors.push(forbidden(matchField, 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    }
    if (match !== 'NotOlderThan') errors.push(notSupported(matchField, match, ['NotOlderThan']));
    if (query.continue) errors.push(forbidden(matchField, 'resourceVersionMatch is forbidden when continue is provided'));
  }
  return errors;
}
