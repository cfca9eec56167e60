/**
 * `Reconciler.Sync`: blocks new custom resources until virt-api is ready
 * (the temporary webhook), creates or corrects every operand in the
 * operator's order (CRDs, RBAC, Services, admission policies, certificates and their
 * consumers, workloads with virt-api first, the namespace label), then, once
 * the infrastructure has rolled over, removes what the strategy no longer
 * holds and deploys the common instancetypes and preferences.
 */
import type { KubeObject } from '../../api/types.js';
import type { Client } from '../../client/client.js';
import type { Pod } from '../../cluster/pod-utils.js';
import { CA_SECRET, caBundle, isCaSecret, isCertificateSecret, pairOf, reconcileCertificate, type CertificatePolicy } from './certificates.js';
import type { ManagedCache } from './managed-cache.js';
import type { ObjectApplier } from './object-applier.js';
import type { DesiredState } from './operand-selection.js';
import { isWorkloadReady, type StrategyStamp } from './readiness.js';
import { recordGeneration, type GenerationStatus } from './kubevirt-status.js';
import { CRD_REF, DEPLOYMENT_REF, MANAGED_KINDS, NAMESPACE_REF, POD_REF } from './refs.js';
import { deleteTemporaryWebhooks, ensureTemporaryWebhook } from './temporary-webhook.js';

export interface SyncInputs {
  client: Client;
  applier: ObjectApplier;
  cache: ManagedCache;
  desired: DesiredState;
  stamp: StrategyStamp;
  policy: CertificatePolicy;
  namespace: string;
  /** metadata.generation of the KubeVirt CR. */
  generation: number;
  now: Date;
  generations: GenerationStatus[];
}

export interface SyncResult {
  /** Every step ran: the infrastructure has rolled over and the instancetypes are in place. */
  complete: boolean;
  generations: GenerationStatus[];
  /** The earliest certificate renewal deadline. */
  renewAt?: Date;
}

const RBAC_ORDER = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
const ADMISSION_POLICY_ORDER = ['ValidatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy'];
const CA_CONFIGMAPS = ['kubevirt-ca', 'kubevirt-export-ca', 'kubevirt-backup-ca'];
const EXTERNAL_CA = 'kubevirt-external-ca';
/** Fresh install: virt-api first; the rest only once it is ready. */
const FIRST_WORKLOAD = 'virt-api';

const ofKinds = (objects: KubeObject[], kinds: string[]): KubeObject[] => kinds.flatMap((kind) => objects.filter((obj) => obj.kind === kind));
const named = (objects: KubeObject[], kind: string, name: string): KubeObject | undefined => objects.find((obj) => obj.kind === kind && obj.metadata.name === name);
const identity = (obj: KubeObject): string => `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;

export class InstallSync {
  private generations: GenerationStatus[];
  private renewAt: Date | undefined;

  constructor(private readonly inputs: SyncInputs) {
    this.generations = inputs.generations;
  }

  async run(): Promise<SyncResult> {
    const { desired } = this.inputs;
    await this.syncTemporaryWebhook();
    for (const crd of desired.crds) await this.apply(crd);
    for (const obj of ofKinds(desired.operands, RBAC_ORDER)) await this.apply(obj);
    for (const obj of ofKinds(desired.operands, ['Service'])) await this.apply(obj);
    for (const obj of ofKinds(desired.operands, ADMISSION_POLICY_ORDER)) await this.apply(obj);
    await this.syncCertificatesAndConsumers();
    const rolledOver = await this.syncWorkloads();
    await this.labelNamespace();
    if (!rolledOver) return this.result(false);
    await this.deleteObsolete();
    for (const obj of desired.instancetypes) await this.inputs.applier.apply(obj, undefined);
    return this.result(true);
  }

  private result(complete: boolean): SyncResult {
    return { complete, generations: this.generations, renewAt: this.renewAt };
  }

  private async apply(obj: KubeObject): Promise<KubeObject> {
    const ref = obj.kind === 'CustomResourceDefinition' ? CRD_REF : { apiVersion: obj.apiVersion, kind: obj.kind };
    const stored = await this.inputs.applier.apply(obj, this.inputs.cache.get(ref, obj.metadata.namespace, obj.metadata.name ?? ''));
    this.generations = recordGeneration(this.generations, stored);
    return stored;
  }

  /** haveApiDeploymentsRolledOver decides: block new custom resources until then, lift the block after. */
  private async syncTemporaryWebhook(): Promise<void> {
    const { client, cache, applier, desired, stamp, namespace, generation, now } = this.inputs;
    const virtApi = cache.get(DEPLOYMENT_REF, namespace, FIRST_WORKLOAD);
    if (virtApi && isWorkloadReady(virtApi, this.pods(), stamp)) await deleteTemporaryWebhooks(cache, applier);
    else await ensureTemporaryWebhook(client, cache, desired.crds, { ...stamp, namespace, generation }, now);
  }

  private pods(): Pod[] {
    return this.inputs.cache.list(POD_REF) as Pod[];
  }

  /** CA Secrets, the CA ConfigMaps, webhooks and APIServices with the bundle, then the leaf certificates. */
  private async syncCertificatesAndConsumers(): Promise<void> {
    const { operands } = this.inputs.desired;
    const secrets = operands.filter((obj) => obj.kind === 'Secret' && isCertificateSecret(obj.metadata.name ?? ''));
    const cas = new Map<string, { certPem: string; keyPem: string }>();
    for (const template of secrets.filter((obj) => isCaSecret(obj.metadata.name ?? ''))) {
      const pair = await this.syncCertificate(template, undefined);
      cas.set(template.metadata.name ?? '', pair);
    }
    const signer = cas.get(CA_SECRET);
    const external = named(operands, 'ConfigMap', EXTERNAL_CA);
    const externalBundle = this.configMapValue(EXTERNAL_CA);
    if (external) await this.apply(external);
    const bundle = caBundle(signer?.certPem ?? '', this.configMapValue(CA_SECRET), externalBundle, this.inputs.policy.caRenewBeforeMs, this.inputs.now);
    for (const name of CA_CONFIGMAPS) {
      const template = named(operands, 'ConfigMap', name);
      const pem = name === CA_SECRET ? bundle : cas.get(name)?.certPem;
      if (template && pem !== undefined) await this.apply({ ...template, data: { 'ca-bundle': pem } });
    }
    // The external drop-box is emptied once merged.
    if (external) await this.apply({ ...external, data: { 'ca-bundle': '' } });
    const caBundleBase64 = Buffer.from(bundle).toString('base64');
    for (const webhookConfig of ofKinds(operands, ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])) {
      const webhooks = (webhookConfig.webhooks as Array<{ clientConfig?: Record<string, unknown> }> | undefined) ?? [];
      await this.apply({ ...webhookConfig, webhooks: webhooks.map((hook) => ({ ...hook, clientConfig: { ...hook.clientConfig, caBundle: caBundleBase64 } })) });
    }
    for (const apiService of ofKinds(operands, ['APIService'])) {
      await this.apply({ ...apiService, spec: { ...(apiService.spec as Record<string, unknown>), caBundle: caBundleBase64 } });
    }
    for (const template of secrets.filter((obj) => !isCaSecret(obj.metadata.name ?? ''))) await this.syncCertificate(template, signer);
  }

  private async syncCertificate(template: KubeObject, signer: { certPem: string; keyPem: string } | undefined): Promise<{ certPem: string; keyPem: string }> {
    const existing = this.inputs.cache.get({ apiVersion: 'v1', kind: 'Secret' }, template.metadata.namespace, template.metadata.name ?? '');
    const result = await reconcileCertificate(template, existing, signer, this.inputs.policy, this.inputs.now);
    // Only write when the certificate changed or the metadata drifted; the data of a good Secret is kept as is.
    await this.apply(pairOf(existing)?.certPem === result.pair.certPem ? { ...result.secret, data: (existing as { data?: unknown }).data } : result.secret);
    if (!this.renewAt || result.renewAt < this.renewAt) this.renewAt = result.renewAt;
    return result.pair;
  }

  private configMapValue(name: string): string {
    const configMap = this.inputs.cache.get({ apiVersion: 'v1', kind: 'ConfigMap' }, this.inputs.namespace, name) as { data?: Record<string, string> } | undefined;
    return configMap?.data?.['ca-bundle'] ?? '';
  }

  /** Deployments (each followed by its PDB), then the virt-handler DaemonSet; true when all are ready. */
  private async syncWorkloads(): Promise<boolean> {
    const { operands } = this.inputs.desired;
    const deployments = operands.filter((obj) => obj.kind === 'Deployment');
    const ordered = [...deployments.filter((d) => d.metadata.name === FIRST_WORKLOAD), ...deployments.filter((d) => d.metadata.name !== FIRST_WORKLOAD), ...operands.filter((obj) => obj.kind === 'DaemonSet')];
    const pods = this.pods();
    let allReady = true;
    for (const workload of ordered) {
      const stored = await this.apply(workload);
      const pdb = named(operands, 'PodDisruptionBudget', `${workload.metadata.name ?? ''}-pdb`);
      if (pdb) await this.apply(pdb);
      const ready = isWorkloadReady(stored, pods, this.inputs.stamp);
      allReady &&= ready;
      if (workload.metadata.name === FIRST_WORKLOAD && !ready && this.isFreshInstall()) return false;
    }
    return allReady;
  }

  /** A fresh install has no other operand workload yet; only then does everything wait for virt-api. */
  private isFreshInstall(): boolean {
    const existing = this.inputs.cache.list({ apiVersion: 'apps/v1', kind: 'DaemonSet' });
    return existing.length === 0;
  }

  private async labelNamespace(): Promise<void> {
    const { client, namespace } = this.inputs;
    const current = await client.get(NAMESPACE_REF, undefined, namespace);
    if (current.metadata.labels?.['openshift.io/cluster-monitoring'] === 'true') return;
    await client.patch(NAMESPACE_REF, undefined, namespace, 'merge', { metadata: { labels: { 'openshift.io/cluster-monitoring': 'true' } } });
  }

  /** Operator-labelled objects that the strategy no longer holds (webhooks first); the operator's own manifest objects stay. */
  private async deleteObsolete(): Promise<void> {
    const { desired, cache, applier } = this.inputs;
    const wanted = new Set([...desired.crds, ...desired.operands].map(identity));
    const kinds = [...MANAGED_KINDS].sort((a, b) => Number(b.kind.endsWith('WebhookConfiguration')) - Number(a.kind.endsWith('WebhookConfiguration')));
    for (const ref of [...kinds, CRD_REF]) {
      for (const obj of cache.list(ref)) {
        const managedByOperator = obj.metadata.labels?.['app.kubernetes.io/managed-by'] === 'virt-operator';
        const isStrategyConfigMap = obj.kind === 'ConfigMap' && obj.metadata.labels?.['kubevirt.io/install-strategy'] !== undefined;
        if (managedByOperator && !isStrategyConfigMap && !wanted.has(identity({ ...obj, kind: ref.kind }))) await applier.delete(ref, obj);
      }
    }
  }
}
