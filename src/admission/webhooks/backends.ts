/**
 * The webhook servers that live in this process, keyed as an apiserver
 * reaches them: by the Service a webhook's clientConfig names and the path
 * on it. Each Service has an availability check standing in for "the
 * Service has a ready pod behind it" (virt-api's Deployment is ready); while
 * it says no, a call fails the way a refused connection does.
 */
import type { AdmissionResponse, AdmissionReview } from './types.js';

/** A server's answer: given at once (the usual in-process case: no timeout can pass) or later. */
export type WebhookHandler = (review: AdmissionReview) => AdmissionResponse | Promise<AdmissionResponse>;

/** "<namespace>/<name>" of a Service, e.g. "kubevirt/virt-api". */
export type ServiceKey = string;

interface ServiceBackend {
  available: () => boolean;
  handlers: Map<string, WebhookHandler>;
}

/** A server that took the call and never answers: the caller's timeout decides. */
const neverAnswers: WebhookHandler = () => new Promise<AdmissionResponse>(() => {});

export class WebhookBackends {
  private readonly services = new Map<ServiceKey, ServiceBackend>();
  /** Services whose servers hang (the webhook-timeout fault). */
  private readonly stalled = new Set<ServiceKey>();

  /** Declares the server behind a Service; `available` is asked on every call. */
  addService(service: ServiceKey, available: () => boolean = () => true): void {
    if (this.services.has(service)) throw new Error(`webhook service ${service} is already registered`);
    this.services.set(service, { available, handlers: new Map() });
  }

  /** Serves `path` on a Service added before. */
  handle(service: ServiceKey, path: string, handler: WebhookHandler): void {
    const backend = this.services.get(service);
    if (!backend) throw new Error(`webhook service ${service} is not registered`);
    backend.handlers.set(path, handler);
  }

  /** While stalled, every call to the Service's webhooks hangs until the webhook's timeoutSeconds. */
  setStalled(service: ServiceKey, stalled: boolean): void {
    if (stalled) this.stalled.add(service);
    else this.stalled.delete(service);
  }

  /** Undefined when nothing in this process serves the Service. */
  service(service: ServiceKey): { available: () => boolean; handler: (path: string) => WebhookHandler | undefined } | undefined {
    const backend = this.services.get(service);
    if (!backend) return undefined;
    const handler = (path: string): WebhookHandler | undefined => {
      const served = backend.handlers.get(path);
      return served && this.stalled.has(service) ? neverAnswers : served;
    };
    return { available: backend.available, handler };
  }
}
