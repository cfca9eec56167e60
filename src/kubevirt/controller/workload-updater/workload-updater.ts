/**
 * virt-controller's workload updater (pkg/virt-controller/watch/workload-updater):
 * once the KubeVirt CR is Deployed on its target (observed = target
 * deployment ID), it counts the running VMIs whose launcher image is not
 * virt-controller's `--launcher-image` into
 * `status.outdatedVirtualMachineInstanceWorkloads` (a JSON patch of /status),
 * and, when `spec.workloadUpdateStrategy.workloadUpdateMethods` lists
 * `LiveMigrate`, migrates the live-migratable ones
 * (`kubevirt-workload-update-*` migrations), at most
 * parallelMigrationsPerCluster at a time. An empty list of methods means no
 * automated update. (The `Evict` method is not simulated.)
 */
import type { KubeObject } from '../../../api/types.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { Pod } from '../../../kube/pods.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { Expectations } from '../../../runtime/expectations.js';
import { objectKey, type HandlerRegistration, type Informer } from '../../../runtime/informer.js';
import { hasCondition } from '../conditions.js';
import { KUBEVIRT_REF } from '../constants.js';
import { errorMessage } from '../errors.js';
import { isMigrationFinal, VMIM_REF, type Migration, type MigrationState } from '../migration/migration-types.js';
import { isFinal, type VirtualMachineInstance } from '../types.js';

/** v1.WorkloadUpdateMigrationAnnotation */
export const ANNOTATION_WORKLOAD_UPDATE_MIGRATION = 'kubevirt.io/workloadUpdateMigration';
const DEFAULT_PARALLEL_MIGRATIONS_PER_CLUSTER = 5;
/**
 * The updater re-queues itself while work is left instead of following VMI
 * activity (KubeVirt passes 30 as a Duration, i.e. at once); a second keeps
 * the simulation from spinning.
 */
const REQUEUE_MS = 1000;
const PENDING_PHASES = new Set(['', 'Pending']);
/** Running VMIs by the launcher image they run on: the outdated ones are those under any other image, counted without a scan. */
const RUNNING_BY_LAUNCHER_IMAGE = 'workload-updater/running-launcher-image';
/** Migrations not yet Succeeded or Failed, all under one value. */
const UNFINISHED_MIGRATIONS = 'workload-updater/unfinished';
const UNFINISHED = 'unfinished';

interface KubeVirtView extends KubeObject {
  spec?: {
    workloadUpdateStrategy?: { workloadUpdateMethods?: string[] };
    configuration?: { migrations?: { parallelMigrationsPerCluster?: number } };
  };
  status?: { phase?: string; observedDeploymentID?: string; targetDeploymentID?: string; outdatedVirtualMachineInstanceWorkloads?: number };
}

export interface WorkloadUpdaterDeps {
  ctx: ComponentContext;
  kubevirts: Informer<KubeVirtView>;
  vmis: Informer<VirtualMachineInstance>;
  migrations: Informer<Migration>;
  /** virt-launcher pods. */
  pods: Informer<Pod>;
  recorder: EventRecorder;
  launcherImage: () => string;
}

/** The launcher image a Running VMI that is not being deleted runs on, if known; isOutdated is "another than the current one". */
const runningLauncherImage = (vmi: VirtualMachineInstance): string[] => {
  const image = vmi.status?.launcherContainerImageVersion;
  return image && vmi.status?.phase === 'Running' && !vmi.metadata.deletionTimestamp && !isFinal(vmi) ? [image] : [];
};

const migrationStateOf = (vmi: VirtualMachineInstance): MigrationState | undefined =>
  vmi.status?.migrationState as MigrationState | undefined;

const isMigrating = (vmi: VirtualMachineInstance): boolean => {
  const state = migrationStateOf(vmi);
  return Boolean(state?.startTimestamp) && !state?.endTimestamp;
};

const computeImage = (pod: Pod | undefined): string | undefined => pod?.spec.containers.find((c) => c.name === 'compute')?.image;

export class WorkloadUpdater implements Component {
  readonly name = 'virt-controller/workload-updater';
  private readonly controller: Controller;
  /** Migrations created but not yet seen by the informer, per KubeVirt CR: no second one for the same VMI meanwhile. */
  private readonly migrationExpectations: Expectations;
  private registration: HandlerRegistration | undefined;

  constructor(private readonly deps: WorkloadUpdaterDeps) {
    const everyKubeVirt = (): string[] => deps.kubevirts.list().map(objectKey);
    this.migrationExpectations = new Expectations(deps.ctx.clock);
    this.controller = new Controller({
      name: this.name,
      clock: deps.ctx.clock,
      logger: deps.ctx.logger,
      reconcile: (key) => this.reconcile(key),
    });
    deps.vmis.ensureIndexer(RUNNING_BY_LAUNCHER_IMAGE, runningLauncherImage);
    deps.migrations.ensureIndexer(UNFINISHED_MIGRATIONS, (m) => (isMigrationFinal(m) ? [] : [UNFINISHED]));
    this.controller.watch(deps.kubevirts);
    // Only a Running VMI (or one that just stopped running) can change the count or the candidates.
    this.controller.watch(deps.vmis, (vmi) => (runningLauncherImage(vmi).length > 0 ? everyKubeVirt() : []));
    this.controller.watch(deps.migrations, everyKubeVirt);
  }

  async start(): Promise<void> {
    const observe = (migration: Migration): void => {
      if (migration.metadata.annotations?.[ANNOTATION_WORKLOAD_UPDATE_MIGRATION] === undefined) return;
      for (const kv of this.deps.kubevirts.list()) this.migrationExpectations.creationObserved(objectKey(kv));
    };
    this.registration = this.deps.migrations.addEventHandler({ onAdd: observe });
    await this.controller.start();
  }

  async stop(): Promise<void> {
    this.registration?.remove();
    await this.controller.stop();
  }

  /** Just migrated onto a current launcher: virt-controller's VMI status catches up in a moment, so it is not migrated again. */
  private movedToCurrentLauncher(vmi: VirtualMachineInstance, launcherImage: string): boolean {
    const state = migrationStateOf(vmi);
    if (!state?.completed || state.failed || !state.targetPod) return false;
    return computeImage(this.deps.pods.getByName(vmi.metadata.namespace, state.targetPod)) === launcherImage;
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const kv = this.deps.kubevirts.get(key);
    // Nothing until the infrastructure is completely deployed and not updating.
    if (!kv) {
      this.migrationExpectations.forget(key);
      return;
    }
    if (!this.migrationExpectations.satisfied(key)) return;
    if (kv.status?.phase !== 'Deployed' || kv.status.observedDeploymentID !== kv.status.targetDeploymentID) return;
    const launcherImage = this.deps.launcherImage();
    const unfinished = this.deps.migrations.byIndex(UNFINISHED_MIGRATIONS, UNFINISHED);
    const withMigration = new Set(unfinished.map((m) => `${m.metadata.namespace ?? ''}/${m.spec.vmiName}`));
    const liveMigrate = kv.spec?.workloadUpdateStrategy?.workloadUpdateMethods?.includes('LiveMigrate') ?? false;

    const outdatedImages = this.deps.vmis.indexValues(RUNNING_BY_LAUNCHER_IMAGE).filter((image) => image !== launcherImage);
    const outdatedCount = outdatedImages.reduce((sum, image) => sum + this.deps.vmis.countByIndex(RUNNING_BY_LAUNCHER_IMAGE, image), 0);
    const outdated = liveMigrate ? outdatedImages.flatMap((image) => this.deps.vmis.byIndex(RUNNING_BY_LAUNCHER_IMAGE, image)) : [];
    const migratable = outdated.filter(
      (vmi) =>
        !isMigrating(vmi) &&
        !withMigration.has(objectKey(vmi)) &&
        !this.movedToCurrentLauncher(vmi, launcherImage) &&
        hasCondition(vmi.status?.conditions, 'LiveMigratable', 'True'),
    );
    await this.writeCount(kv, outdatedCount);

    const active = unfinished.filter((m) => !PENDING_PHASES.has(m.status?.phase ?? '')).length;
    const parallel = kv.spec?.configuration?.migrations?.parallelMigrationsPerCluster ?? DEFAULT_PARALLEL_MIGRATIONS_PER_CLUSTER;
    const candidates = migratable.slice(0, Math.max(0, parallel - active));
    this.migrationExpectations.expectCreations(key, candidates.length);
    for (const vmi of candidates) await this.migrate(key, vmi);
    return migratable.length > 0 ? { requeueAfterMs: REQUEUE_MS } : undefined;
  }

  /** The count goes in with a JSON patch: add the first time, test-and-replace after. */
  private async writeCount(kv: KubeVirtView, count: number): Promise<void> {
    const current = kv.status?.outdatedVirtualMachineInstanceWorkloads;
    if (current === count) return;
    const path = '/status/outdatedVirtualMachineInstanceWorkloads';
    const patch =
      current === undefined
        ? [{ op: 'add', path, value: count }]
        : [
            { op: 'test', path, value: current },
            { op: 'replace', path, value: count },
          ];
    await this.deps.ctx.client.patch(KUBEVIRT_REF, kv.metadata.namespace, kv.metadata.name ?? '', 'json', patch, { subresource: 'status' });
  }

  private async migrate(kubevirtKey: string, vmi: VirtualMachineInstance): Promise<void> {
    const migration = {
      ...VMIM_REF,
      metadata: {
        generateName: 'kubevirt-workload-update-',
        namespace: vmi.metadata.namespace,
        annotations: { [ANNOTATION_WORKLOAD_UPDATE_MIGRATION]: '' },
      },
      spec: { vmiName: vmi.metadata.name ?? '', priority: 'system-critical' },
    };
    try {
      const created: KubeObject = await this.deps.ctx.client.create(migration);
      this.deps.recorder.event(
        vmi,
        'Normal',
        'SuccessfulCreate',
        `Created Migration ${created.metadata.name ?? ''} for automated workload update`,
      );
    } catch (err) {
      this.migrationExpectations.creationObserved(kubevirtKey);
      this.deps.recorder.event(
        vmi,
        'Warning',
        'FailedCreate',
        `Error creating a Migration for automated workload update: ${errorMessage(err)}`,
      );
      throw err;
    }
  }
}
