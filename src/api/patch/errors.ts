import { StatusError } from '../errors.js';

/**
 * The apiserver reports a patch that is well formed but cannot be applied
 * (a failed JSON Patch `test`, a missing path, a `$retainKeys` mismatch) with
 * apimachinery's NewGenericServerResponse(422): a fixed message, the specific
 * cause dropped, and empty details.
 */
export const patchNotApplicable = (): StatusError =>
  new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
