/**
 * /pod-eviction-validate, the `virt-launcher-eviction-interceptor.kubevirt.io`
 * webhook on pods/eviction (pkg/virt-api/webhooks/validating-webhook/
 * admitters/pod-eviction-admitter.go, behaviour reference §2.8): the
 * eviction of a virt-launcher pod whose VMI should live-migrate on eviction
 * is refused with 429 and the VMI is marked with status.evacuationNodeName,
 * which makes virt-controller migrate it away; `kubectl drain` retries until
 * the pod is no longer the VMI's (it has finished, or the VMI moved). Other
 * launcher pods are let go, and the VM restarts its VMI elsewhere.
 */
import type { AdmissionResponse, AdmissionReview } from '../../../admission/webhooks/types.js';
import type { Client } from '../../../client/client.js';
import type { Pod } from '../../../kube/pods.js';
import { ANNOTATION_DOMAIN, LABEL_APP, POD_REF, VMI_REF } from '../../controller/constants.js';
import { LABEL_MIGRATION_JOB_UID, type MigrationState } from '../../controller/migration/migration-types.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import type { AdmissionDeps } from './deps.js';
import { allowed, requestOf } from './responses.js';

const TOO_MANY_REQUESTS = 429;

const denied = (uid: string, message: string): AdmissionResponse => ({ uid, allowed: false, status: { message, code: TOO_MANY_REQUESTS } });

const isMigratable = (vmi: VirtualMachineInstance): boolean =>
  (vmi.status?.conditions ?? []).some((c) => c.type === 'LiveMigratable' && c.status === 'True');

/** The admitter, reading the pod and its VMI live and marking the VMI with virt-api's client, as the real one does. */
export function podEvictionAdmitter(client: Client): (deps: AdmissionDeps, review: AdmissionReview) => Promise<AdmissionResponse> {
  return async (deps, review) => {
    const request = requestOf(review);
    const namespace = request.namespace ?? '';
    const pod = await client.get<Pod>(POD_REF, namespace, request.name ?? '').catch(() => undefined);
    if (pod?.metadata.labels?.[LABEL_APP] !== 'virt-launcher') return allowed(request);
    const vmiName = pod.metadata.annotations?.[ANNOTATION_DOMAIN];
    // A finished launcher holds nothing.
    if (!vmiName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return allowed(request);
    let vmi: VirtualMachineInstance;
    try {
      vmi = await client.get<VirtualMachineInstance>(VMI_REF, namespace, vmiName);
    } catch (err) {
      return denied(request.uid, `kubevirt failed getting the vmi: ${err instanceof Error ? err.message : String(err)}`);
    }
    const state = vmi.status?.migrationState as MigrationState | undefined;
    const isTarget =
      pod.metadata.labels?.[LABEL_MIGRATION_JOB_UID] !== undefined && state?.targetPod === pod.metadata.name && !state?.completed;
    if (isTarget) return denied(request.uid, 'Eviction request for target Pod');

    const strategy = (vmi.spec.evictionStrategy as string | undefined) ?? deps.config().evictionStrategy;
    const migratable = isMigratable(vmi);
    const marks = strategy === 'LiveMigrate' || strategy === 'External' || (strategy === 'LiveMigrateIfPossible' && migratable);
    if (!marks) return allowed(request);
    if (strategy === 'LiveMigrate' && !migratable)
      return denied(request.uid, `VMI ${vmi.metadata.name ?? ''} is configured with an eviction strategy but is not live-migratable`);
    // The pod is no longer where the VMI runs (it migrated away): nothing to protect.
    if (vmi.status?.nodeName !== pod.spec.nodeName) return allowed(request);

    const evacuation = `Eviction triggered evacuation of VMI "${namespace}/${vmi.metadata.name ?? ''}"`;
    if (vmi.status?.evacuationNodeName) return denied(request.uid, `Evacuation in progress: ${evacuation}`);
    if (!request.dryRun) {
      try {
        await client.patch(VMI_REF, namespace, vmi.metadata.name ?? '', 'json', [
          { op: 'add', path: '/status/evacuationNodeName', value: vmi.status?.nodeName ?? '' },
        ]);
      } catch (err) {
        return denied(request.uid, `kubevirt failed marking the vmi for eviction: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return denied(request.uid, evacuation);
  };
}
