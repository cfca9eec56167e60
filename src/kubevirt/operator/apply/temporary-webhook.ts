/**
 * The temporary webhook of an install in progress (reconcile.go,
 * createDummyWebhookValidator / deleteDummyWebhookValidators): until
 * virt-api has rolled over, a ValidatingWebhookConfiguration
 * `virt-operator-tmp-webhook<suffix>` points CREATE of the custom resources of
 * every CRD that did not exist before at a Service that does not exist, so
 * no such object gets in before virt-api can validate it. Once virt-api is
 * ready, every such configuration is deleted.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client, KindRef } from '../../../client/client.js';
import type { Clock } from '../../../runtime/clock.js';
import { createCertificateAuthority } from '../../../pki/certificates.js';
import type { ManagedCache } from './managed-cache.js';
import type { ObjectApplier } from './object-applier.js';
import { CRD_REF, MANAGED_SELECTOR } from '../refs.js';
import {
  GENERATION_ANNOTATION,
  ID_ANNOTATION,
  REGISTRY_ANNOTATION,
  VERSION_ANNOTATION,
  withOperatorMetadata,
  type RenderTarget,
} from '../install-strategy/templating.js';

export const TEMPORARY_WEBHOOK_PREFIX = 'virt-operator-tmp-webhook';
const VALIDATING_WEBHOOK_REF: KindRef = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' };
/** v1.ApiSupportedWebhookVersions */
const WEBHOOK_API_VERSIONS = ['v1alpha3', 'v1'];
const FAKE_SERVICE = 'fake-validation-service';
/** The throw-away CA is never used to verify anything; the apiserver only wants a bundle. */
const FAKE_CA_VALIDITY_DAYS = 1;

interface CrdNames {
  spec?: { group?: string; names?: { plural?: string } };
}

function blockingWebhook(crd: KubeObject, namespace: string, caBundle: string): Record<string, unknown> {
  const name = crd.metadata.name ?? '';
  const spec = (crd as CrdNames).spec;
  return {
    name: `${name}-tmp-validator`,
    admissionReviewVersions: ['v1', 'v1beta1'],
    sideEffects: 'None',
    failurePolicy: 'Fail',
    rules: [
      { operations: ['CREATE'], apiGroups: [spec?.group ?? ''], apiVersions: WEBHOOK_API_VERSIONS, resources: [spec?.names?.plural ?? ''] },
    ],
    clientConfig: { service: { namespace, name: FAKE_SERVICE, path: `/fake-path/${name}` }, caBundle },
  };
}

/** objectMatchesVersion: the configuration carries this install's strategy annotations. */
function matchesTarget(config: KubeObject, target: RenderTarget): boolean {
  const annotations = config.metadata.annotations ?? {};
  return (
    annotations[VERSION_ANNOTATION] === target.version &&
    annotations[REGISTRY_ANNOTATION] === target.registry &&
    annotations[ID_ANNOTATION] === target.deploymentId &&
    annotations[GENERATION_ANNOTATION] === String(target.generation)
  );
}

/**
 * Creates the blocking configuration unless a validating configuration of
 * this install exists already (then it is there, or virt-api's own webhooks
 * are) or every CRD exists. Read live: a configuration created a moment ago
 * may not be in the cache yet, and a second one must not follow.
 */
export async function ensureTemporaryWebhook(
  client: Client,
  cache: ManagedCache,
  crds: KubeObject[],
  target: RenderTarget,
  clock: Clock,
): Promise<void> {
  const existing = await client.list(VALIDATING_WEBHOOK_REF, { labelSelector: MANAGED_SELECTOR });
  if (existing.items.some((config) => matchesTarget(config, target))) return;
  const newCrds = crds.filter((crd) => !cache.get(CRD_REF, undefined, crd.metadata.name ?? ''));
  if (newCrds.length === 0) return;
  const now = clock.now();
  // Made off the event loop: time waits for it.
  const fakeCa = await clock.hold(
    createCertificateAuthority({
      commonName: `fake.kubevirt.io@${Math.floor(now.getTime() / 1000)}`,
      validityDays: FAKE_CA_VALIDITY_DAYS,
      notBefore: now,
    }),
  );
  const caBundle = Buffer.from(fakeCa.certPem).toString('base64');
  const config: KubeObject = {
    ...VALIDATING_WEBHOOK_REF,
    metadata: { generateName: TEMPORARY_WEBHOOK_PREFIX },
    webhooks: newCrds.map((crd) => blockingWebhook(crd, target.namespace, caBundle)),
  };
  await client.create(withOperatorMetadata(config, target));
}

export async function deleteTemporaryWebhooks(cache: ManagedCache, applier: ObjectApplier): Promise<void> {
  for (const config of cache.list(VALIDATING_WEBHOOK_REF)) {
    if ((config.metadata.name ?? '').startsWith(TEMPORARY_WEBHOOK_PREFIX) && !config.metadata.deletionTimestamp)
      await applier.delete(VALIDATING_WEBHOOK_REF, config);
  }
}
