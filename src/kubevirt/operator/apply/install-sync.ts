/**
 * `Reconciler.Sync`: blocks new custom resources until virt-api is ready
 * (the temporary webhook), creates or corrects every operand in the
 * operator's order (CRDs, RBAC, Services, admission policies, certificates and their
 * consumers, then the workloads: virt-api first on an install or rollback,
 * virt-handler first and virt-api last on an update), the namespace label,
 * then, once the infrastructure has rolled over, removes what the strategy
 * no longer holds and deploys the common instancetypes and preferences.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import type { Clock } from '../../../runtime/clock.js';
import type { Pod } from '../../../kube/pods.js';
import {
  CA_SECRET,
  caBundle,
  isCaSecret,
  isCertificateSecret,
  pairOf,
  reconcileCertificate,
  type CertificatePolicy,
} from './certificates.js';
import type { ManagedCache } from './managed-cache.js';
import type { DesiredState } from '../install-strategy/operand-selection.js';
import { canaryStep, maxUnavailableOf, withMaxUnavailable } from './daemonset-canary.js';
import { containsDesired, type ObjectApplier } from './object-applier.js';
import { isWorkloadReady, updatedReadyPods, type StrategyStamp } from '../readiness.js';
import { recordGeneration, type GenerationStatus } from '../kubevirt-status.js';
import { CRD_REF, DAEMONSET_REF, DEPLOYMENT_REF, MANAGED_KINDS, NAMESPACE_REF, POD_REF } from '../refs.js';
import { shouldTakeUpdatePath } from './update-path.js';
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
  /** The round's time is read once; certificates are issued holding it (they are made off the event loop). */
  clock: Clock;
  generations: GenerationStatus[];
  /** status.observedKubeVirtVersion / observedKubeVirtRegistry: what was installed last (empty before the first install). */
  observed: { version: string; registry: string };
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
/** The strategy's API and controller Deployments; the create path waits for the first, the update path for the second. */
const API_DEPLOYMENT = 'virt-api';
const CONTROLLER_DEPLOYMENT = 'virt-controller';

const ofKinds = (objects: KubeObject[], kinds: string[]): KubeObject[] =>
  kinds.flatMap((kind) => objects.filter((obj) => obj.kind === kind));
const named = (objects: KubeObject[], kind: string, name: string): KubeObject | undefined =>
  objects.find((obj) => obj.kind === kind && obj.metadata.name === name);
const identity = (obj: KubeObject): string => `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;

export class InstallSync {
  private generations: GenerationStatus[];
  private renewAt: Date | undefined;
  private readonly now: Date;

  constructor(private readonly inputs: SyncInputs) {
    this.generations = inputs.generations;
    this.now = inputs.clock.now();
  }

  async run(): Promise<SyncResult> {
    const { desired } = this.inputs;
    await this.syncTemporaryWebhook();
    for (const crd of desired.crds) await this.apply(crd);
    for (const obj of ofKinds(desired.operands, RBAC_ORDER)) await this.apply(obj);
    for (const obj of ofKinds(desired.operands, ['Service'])) await this.apply(obj);
    for (const obj of ofKinds(desired.operands, ADMISSION_POLICY_ORDER)) await this.apply(obj);
    await this.syncCertificatesAndConsumers();
    // Whether the workloads had rolled over is judged before this round touches them.
    const rolledOver = this.rolledOver();
    const { stamp, observed } = this.inputs;
    const workloadsSynced = shouldTakeUpdatePath(stamp.version, observed.version)
      ? await this.updateWorkloads(rolledOver)
      : await this.createOrRollBackWorkloads(rolledOver);
    if (!workloadsSynced) return this.result(false);
    await this.labelNamespace();
    // A version seen rolled over before counts as rolled over (a pod going away does not stop the rest of Sync).
    const sameVersion = stamp.version === observed.version && stamp.registry === observed.registry;
    if (!rolledOver.all && !sameVersion) return this.result(false);
    await this.deleteObsolete();
    for (const obj of desired.instancetypes) await this.inputs.applier.apply(obj, undefined);
    return this.result(true);
  }

  private result(complete: boolean): SyncResult {
    return { complete, generations: this.generations, renewAt: this.renewAt };
  }

  /** Creates or corrects `obj`; its generation goes into status.generations unless told otherwise. */
  private async apply(obj: KubeObject, recordInStatus = true): Promise<KubeObject> {
    const ref = obj.kind === 'CustomResourceDefinition' ? CRD_REF : { apiVersion: obj.apiVersion, kind: obj.kind };
    const stored = await this.inputs.applier.apply(obj, this.inputs.cache.get(ref, obj.metadata.namespace, obj.metadata.name ?? ''));
    if (recordInStatus) this.generations = recordGeneration(this.generations, stored);
    return stored;
  }

  /** haveApiDeploymentsRolledOver decides: block new custom resources until then, lift the block after. */
  private async syncTemporaryWebhook(): Promise<void> {
    const { client, cache, applier, desired, stamp, namespace, generation, clock } = this.inputs;
    const virtApi = cache.get(DEPLOYMENT_REF, namespace, API_DEPLOYMENT);
    if (virtApi && isWorkloadReady(virtApi, this.pods(), stamp)) await deleteTemporaryWebhooks(cache, applier);
    else await ensureTemporaryWebhook(client, cache, desired.crds, { ...stamp, namespace, generation }, clock);
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
    const bundle = caBundle(
      signer?.certPem ?? '',
      this.configMapValue(CA_SECRET),
      externalBundle,
      this.inputs.policy.caRenewBeforeMs,
      this.now,
    );
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
      await this.apply({
        ...webhookConfig,
        webhooks: webhooks.map((hook) => ({ ...hook, clientConfig: { ...hook.clientConfig, caBundle: caBundleBase64 } })),
      });
    }
    for (const apiService of ofKinds(operands, ['APIService'])) {
      await this.apply({ ...apiService, spec: { ...(apiService.spec as Record<string, unknown>), caBundle: caBundleBase64 } });
    }
    for (const template of secrets.filter((obj) => !isCaSecret(obj.metadata.name ?? ''))) await this.syncCertificate(template, signer);
  }

  private async syncCertificate(
    template: KubeObject,
    signer: { certPem: string; keyPem: string } | undefined,
  ): Promise<{ certPem: string; keyPem: string }> {
    const existing = this.inputs.cache.get({ apiVersion: 'v1', kind: 'Secret' }, template.metadata.namespace, template.metadata.name ?? '');
    const result = await this.inputs.clock.hold(reconcileCertificate(template, existing, signer, this.inputs.policy, this.now));
    // Only write when the certificate changed or the metadata drifted; the data of a good Secret is kept as is.
    await this.apply(
      pairOf(existing)?.certPem === result.pair.certPem ? { ...result.secret, data: (existing as { data?: unknown }).data } : result.secret,
    );
    if (!this.renewAt || result.renewAt < this.renewAt) this.renewAt = result.renewAt;
    return result.pair;
  }

  private configMapValue(name: string): string {
    const configMap = this.inputs.cache.get({ apiVersion: 'v1', kind: 'ConfigMap' }, this.inputs.namespace, name) as
      | { data?: Record<string, string> }
      | undefined;
    return configMap?.data?.['ca-bundle'] ?? '';
  }

  /** Which workloads of the strategy already run the target with Ready, up-to-date pods (the have*RolledOver checks). */
  private rolledOver(): { api: boolean; controller: boolean; all: boolean } {
    const { cache, namespace, stamp } = this.inputs;
    const pods = this.pods();
    const ready = (workload: KubeObject): boolean => {
      const stored = cache.get(workload.kind === 'DaemonSet' ? DAEMONSET_REF : DEPLOYMENT_REF, namespace, workload.metadata.name ?? '');
      return stored !== undefined && isWorkloadReady({ ...stored, kind: workload.kind }, pods, stamp);
    };
    const workloads = this.workloads();
    const readyByName = (name: string): boolean => workloads.filter((w) => w.metadata.name === name).every(ready);
    return { api: readyByName(API_DEPLOYMENT), controller: readyByName(CONTROLLER_DEPLOYMENT), all: workloads.every(ready) };
  }

  /** The strategy's Deployments in creation order, then its DaemonSets. */
  private workloads(): KubeObject[] {
    const { operands } = this.inputs.desired;
    return [...operands.filter((obj) => obj.kind === 'Deployment'), ...operands.filter((obj) => obj.kind === 'DaemonSet')];
  }

  /** createOrRollBackSystem: virt-api, wait until it has rolled over, then the other Deployments and the DaemonSet. */
  private async createOrRollBackWorkloads(rolledOver: { api: boolean }): Promise<boolean> {
    const workloads = this.workloads();
    for (const deployment of workloads.filter((w) => w.metadata.name === API_DEPLOYMENT)) await this.syncDeployment(deployment);
    if (!rolledOver.api) return false;
    for (const deployment of workloads.filter((w) => w.kind === 'Deployment' && w.metadata.name !== API_DEPLOYMENT))
      await this.syncDeployment(deployment);
    return this.syncDaemonSets(workloads);
  }

  /** updateKubeVirtSystem: the DaemonSet, virt-controller, wait until it has rolled over, the other Deployments, virt-api last. */
  private async updateWorkloads(rolledOver: { controller: boolean }): Promise<boolean> {
    const workloads = this.workloads();
    if (!(await this.syncDaemonSets(workloads))) return false;
    for (const deployment of workloads.filter((w) => w.metadata.name === CONTROLLER_DEPLOYMENT)) await this.syncDeployment(deployment);
    if (!rolledOver.controller) return false;
    const deployments = workloads.filter((w) => w.kind === 'Deployment' && w.metadata.name !== CONTROLLER_DEPLOYMENT);
    for (const deployment of [
      ...deployments.filter((w) => w.metadata.name !== API_DEPLOYMENT),
      ...deployments.filter((w) => w.metadata.name === API_DEPLOYMENT),
    ]) {
      await this.syncDeployment(deployment);
    }
    return true;
  }

  /** A Deployment, then its PDB; the simulated Deployment controller rolls the pods. */
  private async syncDeployment(deployment: KubeObject): Promise<void> {
    await this.apply(deployment);
    const pdb = named(this.inputs.desired.operands, 'PodDisruptionBudget', `${deployment.metadata.name ?? ''}-pdb`);
    if (pdb) await this.apply(pdb);
  }

  /** Every DaemonSet through its canary rollout; false while one is still rolling. */
  private async syncDaemonSets(workloads: KubeObject[]): Promise<boolean> {
    for (const daemonSet of workloads.filter((w) => w.kind === 'DaemonSet')) {
      if (!(await this.syncDaemonSet(daemonSet))) return false;
    }
    return true;
  }

  private async syncDaemonSet(daemonSet: KubeObject): Promise<boolean> {
    const { cache, namespace, stamp } = this.inputs;
    const stored = cache.get(DAEMONSET_REF, namespace, daemonSet.metadata.name ?? '');
    if (!stored) {
      await this.apply(daemonSet);
      return true;
    }
    const maxUnavailable = maxUnavailableOf(stored);
    const recorded = this.generations.find(
      (g) => g.resource === 'daemonsets' && g.name === stored.metadata.name && g.namespace === stored.metadata.namespace,
    );
    const step = canaryStep({
      specChanged: !containsDesired(stored, withMaxUnavailable(daemonSet, maxUnavailable)),
      generationKnown: recorded?.lastGeneration === stored.metadata.generation,
      maxUnavailable,
      updatedReady: updatedReadyPods({ ...stored, kind: 'DaemonSet' }, this.pods(), stamp).length,
      desired: (stored.status as { desiredNumberScheduled?: number } | undefined)?.desiredNumberScheduled ?? 0,
    });
    if (step.write) await this.apply(withMaxUnavailable(daemonSet, step.write.maxUnavailable), step.write.recordGeneration);
    return step.done;
  }

  private async labelNamespace(): Promise<void> {
    const { client, namespace } = this.inputs;
    const current = await client.get(NAMESPACE_REF, undefined, namespace);
    if (current.metadata.labels?.['openshift.io/cluster-monitoring'] === 'true') return;
    await client.patch(NAMESPACE_REF, undefined, namespace, 'merge', {
      metadata: { labels: { 'openshift.io/cluster-monitoring': 'true' } },
    });
  }

  /** Operator-labelled objects that the strategy no longer holds (webhooks first); the operator's own manifest objects stay. */
  private async deleteObsolete(): Promise<void> {
    const { desired, cache, applier } = this.inputs;
    const wanted = new Set([...desired.crds, ...desired.operands].map(identity));
    const kinds = [...MANAGED_KINDS].sort(
      (a, b) => Number(b.kind.endsWith('WebhookConfiguration')) - Number(a.kind.endsWith('WebhookConfiguration')),
    );
    for (const ref of [...kinds, CRD_REF]) {
      for (const obj of cache.list(ref)) {
        const managedByOperator = obj.metadata.labels?.['app.kubernetes.io/managed-by'] === 'virt-operator';
        const isStrategyConfigMap = obj.kind === 'ConfigMap' && obj.metadata.labels?.['kubevirt.io/install-strategy'] !== undefined;
        if (managedByOperator && !isStrategyConfigMap && !wanted.has(identity({ ...obj, kind: ref.kind }))) await applier.delete(ref, obj);
      }
    }
  }
}
