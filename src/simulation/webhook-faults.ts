/**
 * The webhook-timeout fault: the in-process server behind a webhook Service
 * (e.g. kubevirt/virt-api) takes admission calls and never answers, so each
 * call ends at the webhook's timeoutSeconds (simulation time) and its
 * failurePolicy decides: Fail rejects the write with "context deadline
 * exceeded", Ignore lets it through. `webhookFaults(ctx | clock)` finds the
 * cluster's webhook servers (keyed by its Clock, as nodeFaults is) once the
 * emulator registered them.
 */
import type { WebhookBackends } from '../admission/webhooks/backends.js';
import type { ComponentContext } from '../runtime/component-context.js';
import type { Clock } from '../runtime/clock.js';

const backendsByClock = new WeakMap<Clock, WebhookBackends>();

export function registerWebhookFaults(clock: Clock, backends: WebhookBackends): void {
  backendsByClock.set(clock, backends);
}

export interface WebhookFaults {
  /** `service` is "<namespace>/<name>". */
  stall(service: string): void;
  resume(service: string): void;
}

export function webhookFaults(owner: ComponentContext | Clock): WebhookFaults {
  const backends = backendsByClock.get('clock' in owner ? owner.clock : owner);
  if (!backends) throw new Error('webhook faults are not available: this cluster has no in-process webhook servers');
  return { stall: (service) => backends.setStalled(service, true), resume: (service) => backends.setStalled(service, false) };
}
