/**
 * virt-api's admission webhooks (and virt-operator's KubeVirt CR checks) as
 * in-process webhook servers: registered on WebhookBackends under the
 * Services and paths of the webhook configurations the operator installs
 * (schemas/kubevirt/install-strategy/operands.yaml). A Service answers while
 * its Deployment has a ready pod, as on a cluster.
 *
 * Wiring: `registerKubeVirtWebhooks(backends, ctx)` with ctx acting as
 * virt-api's service account (kubevirt-apiserver); virt-operator's webhooks act as kubevirt-operator.
 */
import type { AdmissionResponse, AdmissionReview } from '../../../admission/webhooks/types.js';
import type { WebhookBackends } from '../../../admission/webhooks/backends.js';
import { asIdentity, type ComponentContext } from '../../../runtime/component-context.js';
import { isPodReady, type Pod } from '../../../kube/pods.js';
import { POD_REF } from '../../controller/constants.js';
import { DEFAULT_INSTALL_NAMESPACE } from './config.js';
import { webhookPaths } from './paths.js';
import { admissionDeps, type AdmissionDeps } from './deps.js';
import { podEvictionAdmitter } from './eviction.js';
import { virtLauncherPodMutator } from './launcher-pod-mutator.js';
import { registerOperatorWebhooks } from './operator-webhooks.js';

export const VIRT_API_WEBHOOK_SERVICE = `${DEFAULT_INSTALL_NAMESPACE}/virt-api`;

/** Most admitters answer at once (the caller then sets no timeout); those that read the API answer later. */
type Admitter = (deps: AdmissionDeps, review: AdmissionReview) => AdmissionResponse | Promise<AdmissionResponse>;

/**
 * Whether a ready, live pod with the label `kubevirt.io=<app>` runs in the install namespace: asked on every webhook
 * call, kept until one of those pods changes.
 */
function hasReadyPod(ctx: ComponentContext, app: string): () => boolean {
  const pods = ctx.informers.informerFor<Pod>(POD_REF, { namespace: DEFAULT_INSTALL_NAMESPACE, labelSelector: `kubevirt.io=${app}` });
  let ready: boolean | undefined;
  const forget = (): void => {
    ready = undefined;
  };
  pods.addEventHandler({ onAdd: forget, onUpdate: forget, onDelete: forget });
  return () => (ready ??= pods.list().some((pod) => isPodReady(pod) && !pod.metadata.deletionTimestamp));
}

export function registerKubeVirtWebhooks(backends: WebhookBackends, ctx: ComponentContext): void {
  const deps = admissionDeps(ctx);
  const serve = (service: string, routes: Record<string, Admitter>) => {
    for (const [path, admitter] of Object.entries(routes)) backends.handle(service, path, (review) => admitter(deps, review));
  };
  backends.addService(VIRT_API_WEBHOOK_SERVICE, hasReadyPod(ctx, 'virt-api'));
  serve(VIRT_API_WEBHOOK_SERVICE, {
    ...webhookPaths.virtApi,
    '/pod-eviction-validate': podEvictionAdmitter(ctx.client),
    '/virt-launcher-pod-mutate': virtLauncherPodMutator(ctx.client),
  });
  // virt-operator serves its own webhooks, under its own ServiceAccount.
  const operator = asIdentity(ctx, { component: 'virt-operator', namespace: DEFAULT_INSTALL_NAMESPACE });
  registerOperatorWebhooks(backends, operator, hasReadyPod(ctx, 'virt-operator'));
}
