/** Dynamic admission: webhook configurations dispatched to in-process webhook servers. */
export { WebhookBackends, type ServiceKey, type WebhookHandler } from './backends.js';
export { registerWebhookAdmission, MutatingWebhookPlugin, ValidatingWebhookPlugin, type WebhookAdmissionOptions } from './plugins.js';
export type * from './types.js';
