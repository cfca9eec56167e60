/**
 * rxjs rethrows an error thrown inside a subscriber's callback on a timer,
 * where it is an uncaught exception that ends the process: one component's
 * bug would take down the API server and every other component. Reported to
 * rxjs's own hook instead, it is logged and the rest keeps serving. A host
 * process that set its own hook (the emulator used as a library) keeps it.
 */
import { config } from 'rxjs';
import type { Logger } from './logger.js';

export function logSubscriberErrors(logger: Logger): void {
  config.onUnhandledError ??= (err: unknown) => logger.error('error thrown in a watch subscriber', err);
}
