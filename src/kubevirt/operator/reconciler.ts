/**
 * One reconcile of a KubeVirt CR, after pkg/virt-operator/kubevirt.go:
 * observed-API-version annotations, the single-install check, status
 * bookkeeping, the install strategy, the finalizer, Sync, and the
 * Deployed/Available verdict; or, for a CR being deleted, the uninstall.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Client } from '../../client/client.js';
import type { Pod } from '../../kube/pods.js';
import { rfc3339, type Clock } from '../../runtime/clock.js';
import type { ReconcileResult } from '../../runtime/controller.js';
import { splitKey, type Informer } from '../../runtime/informer.js';
import { certificatePolicy } from './apply/certificates.js';
import { applyTransition, transitions, type KubeVirtCondition, type Transition } from './conditions.js';
import { deploymentConfig, goJson, targetImages } from './deployment-config.js';
import { InstallSync } from './apply/install-sync.js';
import type { KubeVirt, KubeVirtStatus } from './kubevirt-status.js';
import type { ManagedCache } from './apply/managed-cache.js';
import type { ObjectApplier } from './apply/object-applier.js';
import { desiredState, virtApiReplicas } from './install-strategy/operand-selection.js';
import { leaderPod, operatorIdentity } from './operator-identity.js';
import { isWorkloadReady, type StrategyStamp } from './readiness.js';
import { DAEMONSET_REF, DEPLOYMENT_REF, KUBEVIRT_REF, POD_REF } from './refs.js';
import { ensureStrategyConfigMap } from './install-strategy/strategy-configmap.js';
import { Uninstaller } from './apply/uninstall.js';

export const FINALIZER = 'kubevirt.io/foregroundDeleteKubeVirt';
export const LATEST_API_ANNOTATION = 'kubevirt.io/latest-observed-api-version';
export const STORAGE_API_ANNOTATION = 'kubevirt.io/storage-observed-api-version';
/** The simulated nodes are x86_64, the operator's GOARCH. */
const DEFAULT_ARCHITECTURE = 'amd64';

export interface ReconcilerDeps {
  client: Client;
  clock: Clock;
  applier: ObjectApplier;
  cache: ManagedCache;
  kubevirts: Informer<KubeVirt>;
  /** The virt-operator pods; the leader's image and environment say what the operator is. */
  operatorPods: Informer<Pod>;
  schedulableNodes: Informer;
}

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class KubeVirtReconciler {
  private readonly uninstaller: Uninstaller;

  constructor(private readonly deps: ReconcilerDeps) {
    this.uninstaller = new Uninstaller(deps.client, deps.applier, deps.cache, deps.schedulableNodes);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const kv = this.deps.kubevirts.getByName(namespace, name);
    const leader = leaderPod(this.deps.operatorPods.list());
    const identity = leader && operatorIdentity(leader);
    if (!kv || !identity) return;

    const annotations = kv.metadata.annotations ?? {};
    if (annotations[LATEST_API_ANNOTATION] !== 'v1' || annotations[STORAGE_API_ANNOTATION] !== 'v1') {
      await this.deps.client.update({
        ...kv,
        metadata: { ...kv.metadata, annotations: { ...annotations, [LATEST_API_ANNOTATION]: 'v1', [STORAGE_API_ANNOTATION]: 'v1' } },
      });
      return;
    }
    // checkForActiveInstall: with two CRs, or one outside the operator's namespace, nothing else happens.
    if (this.deps.kubevirts.list().length > 1 || kv.metadata.namespace !== identity.namespace) {
      await this.writeStatus(kv, { ...kv.status, conditions: this.conditionsAfter(kv.status, transitions.existingDeployment()) });
      return;
    }
    if (kv.metadata.deletionTimestamp) return this.uninstall(kv);

    const spec = kv.spec ?? {};
    const config = deploymentConfig(identity, spec);
    const target = targetImages(identity, spec);
    const status: KubeVirtStatus = {
      ...kv.status,
      operatorVersion: identity.version,
      targetKubeVirtVersion: target.version,
      targetKubeVirtRegistry: target.registry,
      targetDeploymentID: config.id,
      targetDeploymentConfig: goJson(config),
      defaultArchitecture:
        kv.status?.defaultArchitecture ?? spec.configuration?.architectureConfiguration?.defaultArchitecture ?? DEFAULT_ARCHITECTURE,
      phase: kv.status?.phase || 'Deploying',
    };
    const updating = Boolean(status.observedDeploymentID) && status.observedDeploymentID !== config.id;
    const previous = { version: status.observedKubeVirtVersion ?? '', registry: status.observedKubeVirtRegistry ?? '' };
    const progress = updating ? transitions.updating(previous, target) : transitions.deploying(target.version, target.registry);
    // Every round starts from "deploying"; the verdict of the round replaces it, so a steady state writes nothing.
    status.conditions = this.conditionsAfter(kv.status, progress);

    const stamp: StrategyStamp = { ...target, deploymentId: config.id };
    const renderTarget = { ...stamp, namespace: identity.namespace, generation: kv.metadata.generation ?? 1 };
    const desired = desiredState({
      spec,
      target: renderTarget,
      virtApiReplicas: virtApiReplicas(spec, this.deps.schedulableNodes.list().length),
    });
    let current = kv;
    try {
      await ensureStrategyConfigMap(this.deps.client, renderTarget, desired);
      current = await this.ensureFinalizer(kv);
      const sync = await new InstallSync({
        client: this.deps.client,
        applier: this.deps.applier,
        cache: this.deps.cache,
        desired,
        stamp,
        policy: certificatePolicy(spec),
        namespace: identity.namespace,
        generation: renderTarget.generation,
        clock: this.deps.clock,
        generations: status.generations ?? [],
        observed: previous,
      }).run();
      status.generations = sync.generations;
      if (sync.complete) {
        const ready = this.allWorkloadsReady(stamp);
        status.conditions = this.conditionsAfter(kv.status, ready ? transitions.ready() : progress, transitions.created());
        if (ready) {
          Object.assign(status, {
            observedKubeVirtVersion: target.version,
            observedKubeVirtRegistry: target.registry,
            observedDeploymentID: config.id,
            observedDeploymentConfig: status.targetDeploymentConfig,
            phase: 'Deployed',
            observedGeneration: kv.metadata.generation,
          });
        }
      }
      await this.writeStatus(current, status);
      return sync.renewAt ? { requeueAfterMs: Math.max(1000, sync.renewAt.getTime() - this.deps.clock.nowMs()) } : undefined;
    } catch (err) {
      status.conditions = this.conditionsAfter(kv.status, transitions.failed(errorMessage(err)));
      await this.writeStatus(current, status).catch(() => undefined);
      throw err;
    }
  }

  private async uninstall(kv: KubeVirt): Promise<ReconcileResult> {
    if (!kv.metadata.finalizers?.includes(FINALIZER)) return;
    const status: KubeVirtStatus = { ...kv.status, phase: 'Deleting' };
    status.conditions = this.conditionsAfter(status, transitions.deleting());
    await this.writeStatus(kv, status);
    try {
      if (!(await this.uninstaller.deleteAll(kv.metadata.namespace ?? ''))) return { requeueAfterMs: 1000 };
    } catch (err) {
      const latest = this.deps.kubevirts.getByName(kv.metadata.namespace, kv.metadata.name ?? '') ?? kv;
      await this.writeStatus(latest, {
        ...status,
        conditions: this.conditionsAfter(status, transitions.deletionFailed(errorMessage(err))),
      }).catch(() => undefined);
      throw err;
    }
    const latest = await this.deps.client.get<KubeVirt>(KUBEVIRT_REF, kv.metadata.namespace, kv.metadata.name ?? '');
    const deleted = await this.writeStatus(latest, { ...latest.status, phase: 'Deleted' });
    const finalizers = (deleted.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    await this.deps.client.patch(KUBEVIRT_REF, kv.metadata.namespace, kv.metadata.name ?? '', 'json', [
      { op: 'test', path: '/metadata/finalizers', value: deleted.metadata.finalizers ?? [] },
      { op: 'replace', path: '/metadata/finalizers', value: finalizers },
    ]);
  }

  /** The finalizer goes on once the strategy has loaded, as a JSON patch of /metadata/finalizers. */
  private async ensureFinalizer(kv: KubeVirt): Promise<KubeVirt> {
    const finalizers = kv.metadata.finalizers ?? [];
    if (finalizers.includes(FINALIZER)) return kv;
    const patch = kv.metadata.finalizers
      ? [
          { op: 'test', path: '/metadata/finalizers', value: finalizers },
          { op: 'replace', path: '/metadata/finalizers', value: [...finalizers, FINALIZER] },
        ]
      : [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }];
    return this.deps.client.patch<KubeVirt>(KUBEVIRT_REF, kv.metadata.namespace, kv.metadata.name ?? '', 'json', patch);
  }

  /** isReady: every operator-managed Deployment and DaemonSet in the cache is ready with up-to-date pods. */
  private allWorkloadsReady(stamp: StrategyStamp): boolean {
    const pods = this.deps.cache.list(POD_REF) as Pod[];
    const workloads = [
      ...this.deps.cache.list(DEPLOYMENT_REF).map((obj) => ({ ...obj, kind: 'Deployment' })),
      ...this.deps.cache.list(DAEMONSET_REF).map((obj) => ({ ...obj, kind: 'DaemonSet' })),
    ];
    return workloads.length > 0 && workloads.every((workload) => isWorkloadReady(workload, pods, stamp));
  }

  private conditionsAfter(status: KubeVirtStatus | undefined, ...steps: Transition[]): KubeVirtCondition[] {
    const now = rfc3339(this.deps.clock.now());
    return steps.reduce((conditions, step) => applyTransition(conditions, step, now), status?.conditions ?? []);
  }

  /** UpdateStatus, only when the status changed. */
  private async writeStatus(kv: KubeVirt, status: KubeVirtStatus): Promise<KubeVirt> {
    if (isDeepStrictEqual(kv.status ?? {}, status)) return kv;
    return this.deps.client.update<KubeVirt>({ ...kv, status }, { subresource: 'status' });
  }
}
