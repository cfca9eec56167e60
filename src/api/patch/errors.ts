import { StatusError } from '../errors.js';

/**
 * The apiserver reports a patch that is well formed but cannot be applied
 * (a failed JSON Patch `test`, a missing path, a `$retainKeys` mismatch) with
 * apimachinery's NewGenericServerResponse(422): a fixed message, the specific
 * cause dropped, and empty details.
 */
export const patchNotApplicable = (): StatusError =>
  new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});

/**
 * A strategic merge patch the merge code cannot use (an unknown `$patch`, a `$setElementOrder` that contradicts the
 * patch, lists of mixed element types). kube-apiserver passes these errors on unconverted, which makes them 500s;
 * they are the client's mistake, so they answer 400 here, with the merge code's own words.
 */
export const badStrategicPatch = (message: string): StatusError => new StatusError(400, 'BadRequest', message);

/** Go's %v of a decoded JSON value, as the merge code's messages print maps: map[key:value ...] with sorted keys. */
export function goValueString(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goValueString).join(' ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${k}:${goValueString((value as Record<string, unknown>)[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  return value === null ? '<nil>' : String(value);
}
