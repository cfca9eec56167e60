/**
 * The webhooks virt-operator itself serves on the `kubevirt-operator-webhook`
 * Service (pkg/virt-operator/webhooks), which its `virt-operator-validator`
 * configuration points at: one KubeVirt per cluster on CREATE, and the
 * BlockUninstallIfWorkloadsExist check on DELETE.
 */
import type { WebhookBackends } from '../../../admission/webhooks/backends.js';
import type { AdmissionResponse, AdmissionReview } from '../../../admission/webhooks/types.js';
import type { KindRef } from '../../../client/client.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { KUBEVIRT_REF, VM_REF, VMI_REF } from '../../controller/constants.js';
import { DEFAULT_INSTALL_NAMESPACE } from './config.js';
import { allowed, errorResponse, requestOf } from './responses.js';

export const OPERATOR_WEBHOOK_SERVICE = `${DEFAULT_INSTALL_NAMESPACE}/kubevirt-operator-webhook`;

interface KubeVirtFields {
  spec?: { uninstallStrategy?: string };
  status?: { phase?: string };
}

/** The workloads that block an uninstall, in the order the operator looks for them, with the words of its message. */
const BLOCKING_WORKLOADS: Array<[KindRef, string]> = [
  [VMI_REF, 'Virtual Machine Instances'],
  [VM_REF, 'Virtual Machines'],
  [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceReplicaSet' }, 'Virtual Machine Instance Replica Sets'],
];

const uninstallRefused = (workloads: string): string =>
  `Rejecting the uninstall request, since there are still ${workloads} present. Either delete all KubeVirt related workloads or change the uninstall strategy before uninstalling KubeVirt.`;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function kubevirtCreateValidator(ctx: ComponentContext): (review: AdmissionReview) => Promise<AdmissionResponse> {
  const kubevirts = ctx.informers.informerFor(KUBEVIRT_REF);
  return async (review) => {
    const request = requestOf(review);
    const others = kubevirts.list().filter((kv) => kv.metadata.uid !== request.object?.metadata.uid);
    return others.length ? errorResponse(request, 'Kubevirt is already created') : allowed(request);
  };
}

/**
 * KubeVirtDeletionAdmitter: with `uninstallStrategy: BlockUninstallIfWorkloadsExist`
 * on a Deployed KubeVirt, a DELETE is refused while VMIs, VMs or VMI
 * replica sets exist anywhere. Reads are live, as the real admitter's.
 */
function kubevirtDeleteValidator(ctx: ComponentContext): (review: AdmissionReview) => Promise<AdmissionResponse> {
  return async (review) => {
    const request = requestOf(review);
    try {
      const kv = (
        request.name
          ? await ctx.client.get(KUBEVIRT_REF, request.namespace, request.name)
          : (await ctx.client.list(KUBEVIRT_REF, { namespace: request.namespace })).items[0]
      ) as KubeVirtFields | undefined;
      const strategy = kv?.spec?.uninstallStrategy;
      if (!strategy || strategy === 'RemoveWorkloads' || kv?.status?.phase !== 'Deployed') return allowed(request);
      for (const [ref, words] of BLOCKING_WORKLOADS) {
        if ((await ctx.client.list(ref, { limit: 2 })).items.length > 0) return errorResponse(request, uninstallRefused(words));
      }
      return allowed(request);
    } catch (err) {
      return errorResponse(request, errorText(err));
    }
  };
}

/** `available` says whether the Service has a ready virt-operator pod behind it. */
export function registerOperatorWebhooks(backends: WebhookBackends, ctx: ComponentContext, available: () => boolean): void {
  backends.addService(OPERATOR_WEBHOOK_SERVICE, available);
  backends.handle(OPERATOR_WEBHOOK_SERVICE, '/kubevirt-validate-create', kubevirtCreateValidator(ctx));
  // The update admitter checks configuration fields the emulator does not simulate; every update passes.
  backends.handle(OPERATOR_WEBHOOK_SERVICE, '/kubevirt-validate-update', async (review) => allowed(requestOf(review)));
  backends.handle(OPERATOR_WEBHOOK_SERVICE, '/kubevirt-validate-delete', kubevirtDeleteValidator(ctx));
}
