/**
 * virt-controller's migration controller (pkg/virt-controller/watch/
 * migration): for each VirtualMachineInstanceMigration it creates the target
 * virt-launcher pod (within the cluster's parallel-migration limits), hands
 * the migration to virt-handler by writing the VMI's migrationState once the
 * target pod is ready, follows the handlers' progress through the phases,
 * cancels a deleted migration that has not been handed off (and asks the
 * handler to abort one that has: virtctl migrate-cancel), and keeps only
 * the newest finished migrations of each VMI.
 */
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { Pod } from '../../../kube/pods.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import type { Informer } from '../../../runtime/informer.js';
import type { ClusterConfig } from '../cluster-config.js';
import { findCondition, withCondition } from '../conditions.js';
import { POD_REF } from '../constants.js';
import { errorMessage, statusCode } from '../errors.js';
import { podsOwnedByVmi } from '../vmi/launcher-pod-index.js';
import { isPodDown, owningVmi } from '../vmi/launcher-pod-state.js';
import { isHandedOff, nextMigrationPhase } from './migration-phase.js';
import { renderMigrationTargetPod } from './migration-pod.js';
import {
  FINALIZER_MIGRATION,
  isMigrationFinal,
  LABEL_MIGRATION_JOB_UID,
  LABEL_MIGRATION_TARGET_NODE,
  VMIM_REF,
  type Migration,
  type MigrationPhase,
  type MigrationState,
} from './migration-types.js';
import type { Condition, VirtualMachineInstance } from '../types.js';

/** KubeVirt's defaults for spec.configuration.migrations, as the VMI's migrationConfiguration shows them. */
const DEFAULT_MIGRATION_CONFIGURATION = {
  allowAutoConverge: false,
  allowPostCopy: false,
  allowWorkloadDisruption: false,
  bandwidthPerMigration: '0Mi',
  completionTimeoutPerGiB: 150,
  nodeDrainTaintKey: 'kubevirt.io/drain',
  parallelMigrationsPerCluster: 5,
  parallelOutboundMigrationsPerNode: 2,
  progressTimeout: 150,
  unsafeMigrationOverride: false,
};
/** A target pod unschedulable this long is deleted, which fails the migration. */
const UNSCHEDULABLE_TIMEOUT_MS = 300_000;
/** Finished migrations kept per VMI. */
const FINISHED_KEPT = 5;
const ACTIVE_PHASES = ['Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running'];

export interface MigrationControllerDeps {
  ctx: ComponentContext;
  migrations: Informer<Migration>;
  vmis: Informer<VirtualMachineInstance>;
  pods: Informer<Pod>;
  recorder: EventRecorder;
  config: () => ClusterConfig;
  /** spec.configuration.migrations of the KubeVirt CR. */
  migrationsConfig: () => Record<string, unknown>;
}

const ABORT_REQUESTED = 'migrationAbortRequested';
/** migration.go sets only LastProbeTime on it; the zero LastTransitionTime serializes as null. */
const abortRequestedCondition = (now: Date): Condition => ({
  type: ABORT_REQUESTED,
  status: 'True',
  lastProbeTime: rfc3339(now),
  lastTransitionTime: null,
});

const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;
/** Migrations by their VMI (namespace/name) and target pods by their migration's uid: a reconcile reads its own objects only. */
const MIGRATIONS_BY_VMI = 'virt-controller/migration-vmi';
const PODS_BY_MIGRATION_UID = 'virt-controller/migration-job-uid';

export class MigrationController implements Component {
  readonly name = 'virt-controller/migration';
  private readonly controller: Controller;

  constructor(private readonly deps: MigrationControllerDeps) {
    const { ctx, migrations, vmis, pods } = deps;
    migrations.ensureIndexer(MIGRATIONS_BY_VMI, (m) => [keyOf(m.metadata.namespace, m.spec?.vmiName ?? '')]);
    pods.ensureIndexer(PODS_BY_MIGRATION_UID, (pod) => {
      const uid = pod.metadata.labels?.[LABEL_MIGRATION_JOB_UID];
      return uid ? [uid] : [];
    });
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(migrations);
    this.controller.watch(vmis, (vmi) =>
      this.migrationsOf(vmi.metadata.namespace, vmi.metadata.name ?? '').map((m) => keyOf(m.metadata.namespace, m.metadata.name ?? '')),
    );
    this.controller.watch(pods, (pod) => {
      const uid = pod.metadata.labels?.[LABEL_MIGRATION_JOB_UID];
      const owner = owningVmi(pod);
      if (!uid || !owner) return [];
      return this.migrationsOf(pod.metadata.namespace, owner.name)
        .filter((m) => m.metadata.uid === uid)
        .map((m) => keyOf(m.metadata.namespace, m.metadata.name ?? ''));
    });
  }

  start(): Promise<void> {
    return this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private migrationsOf(namespace: string | undefined, vmiName: string): Migration[] {
    return this.deps.migrations.byIndex(MIGRATIONS_BY_VMI, keyOf(namespace, vmiName));
  }

  private targetPodOf(migration: Migration): Pod | undefined {
    return this.deps.pods
      .byIndex(PODS_BY_MIGRATION_UID, migration.metadata.uid ?? '')
      .find((pod) => pod.metadata.namespace === migration.metadata.namespace);
  }

  /** The VMI's launcher on the node it runs on now. */
  private sourcePodOf(vmi: VirtualMachineInstance): Pod | undefined {
    return podsOwnedByVmi(this.deps.pods, vmi.metadata.uid ?? '').find(
      (pod) => pod.spec.nodeName === vmi.status?.nodeName && !isPodDown(pod),
    );
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const migration = this.deps.migrations.get(key);
    if (!migration) return;
    const vmi = this.deps.vmis.getByName(migration.metadata.namespace, migration.spec.vmiName);
    const targetPod = this.targetPodOf(migration);
    const phase = migration.status?.phase ?? '';
    if (migration.metadata.deletionTimestamp && (isMigrationFinal(migration) || !isHandedOff(phase)))
      return this.cancel(migration, targetPod);
    // Deleted after hand-off: the abort is requested and phase processing goes on until virt-handler reports the end.
    if (migration.metadata.deletionTimestamp && (await this.requestAbort(migration, vmi))) return;
    if (phase === 'Pending' && !targetPod && vmi?.status?.phase === 'Running') {
      if (!this.withinLimits(vmi)) return { requeueAfterMs: 1000 };
      await this.createTargetPod(migration, vmi);
      return;
    }
    if (phase === 'Scheduled' && vmi && targetPod && vmi.status?.migrationState?.migrationUid !== migration.metadata.uid) {
      await this.handOff(migration, vmi, targetPod);
      return;
    }
    if (isHandedOff(phase) && vmi && targetPod && targetPod.status?.phase === 'Failed' && !vmi.status?.migrationState?.completed) {
      await this.markTargetDown(migration, vmi);
      return;
    }
    const timeout =
      (phase === 'Scheduling' || phase === 'Pending') && targetPod ? await this.unschedulableTimeout(migration, vmi, targetPod) : undefined;

    const vmiHeldByOther = (() => {
      const holder = vmi?.status?.migrationState?.migrationUid;
      if (!holder || holder === migration.metadata.uid || vmi?.status?.migrationState?.completed) return false;
      return this.migrationsOf(migration.metadata.namespace, migration.spec.vmiName).some(
        (m) => m.metadata.uid === holder && !isMigrationFinal(m),
      );
    })();
    const step = nextMigrationPhase({ migration, vmi, targetPod, vmiHeldByOther });
    await this.writeStatus(migration, step.phase, vmi);
    if (step.event) void this.deps.recorder.event(migration, step.event.type, step.event.reason, step.event.message);
    if (step.phase !== phase && (step.phase === 'Succeeded' || step.phase === 'Failed')) await this.collectGarbage(migration);
    return timeout;
  }

  /** parallelMigrationsPerCluster and parallelOutboundMigrationsPerNode. */
  private withinLimits(vmi: VirtualMachineInstance): boolean {
    const config = { ...DEFAULT_MIGRATION_CONFIGURATION, ...this.deps.migrationsConfig() };
    const active = this.deps.migrations.list().filter((m) => ACTIVE_PHASES.includes(m.status?.phase ?? ''));
    if (active.length >= Number(config.parallelMigrationsPerCluster)) return false;
    const sourceNode = vmi.status?.nodeName;
    const fromNode = active.filter((m) => this.deps.vmis.getByName(m.metadata.namespace, m.spec.vmiName)?.status?.nodeName === sourceNode);
    return fromNode.length < Number(config.parallelOutboundMigrationsPerNode);
  }

  private async createTargetPod(migration: Migration, vmi: VirtualMachineInstance): Promise<void> {
    const template = renderMigrationTargetPod(vmi, migration, this.deps.config(), this.deps.ctx.random.next());
    try {
      const created = await this.deps.ctx.client.create(template);
      void this.deps.recorder.event(migration, 'Normal', 'SuccessfulCreate', `Created migration target pod ${created.metadata.name ?? ''}`);
    } catch (err) {
      void this.deps.recorder.event(migration, 'Warning', 'FailedCreate', `Error creating pod: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** The target pod is ready: the VMI's migrationState now names this migration, for virt-handler to act on. */
  private async handOff(migration: Migration, vmi: VirtualMachineInstance, targetPod: Pod): Promise<void> {
    const sourcePod = this.sourcePodOf(vmi);
    const targetNode = targetPod.spec.nodeName ?? '';
    const state: MigrationState = {
      migrationUid: migration.metadata.uid,
      sourceNode: vmi.status?.nodeName,
      sourcePod: sourcePod?.metadata.name,
      targetNode,
      targetPod: targetPod.metadata.name,
      migrationConfiguration: { ...DEFAULT_MIGRATION_CONFIGURATION, ...this.deps.migrationsConfig() },
    };
    const overhead = vmi.status?.memory?.memoryOverhead;
    if (typeof overhead === 'string') state.targetMemoryOverhead = overhead;
    try {
      await this.deps.ctx.client.update<VirtualMachineInstance>({
        ...vmi,
        metadata: { ...vmi.metadata, labels: { ...vmi.metadata.labels, [LABEL_MIGRATION_TARGET_NODE]: targetNode } },
        status: { ...vmi.status, migrationState: state },
      });
    } catch (err) {
      void this.deps.recorder.event(
        migration,
        'Warning',
        'FailedHandOver',
        `Failed to set MigrationStat in VMI status. :${errorMessage(err)}`,
      );
      throw err;
    }
    void this.deps.recorder.event(
      migration,
      'Normal',
      'SuccessfulHandOver',
      'Migration target pod is ready for preparation by virt-handler.',
    );
  }

  /** The target pod failed after hand-off: the controller records the failure on the VMI itself. */
  private async markTargetDown(migration: Migration, vmi: VirtualMachineInstance): Promise<void> {
    const state = vmi.status?.migrationState ?? {};
    const now = rfc3339(this.deps.ctx.clock.now());
    await this.deps.ctx.client.update<VirtualMachineInstance>({
      ...vmi,
      status: {
        ...vmi.status,
        migrationState: { ...state, completed: true, failed: true, endTimestamp: now, failureReason: 'Target pod is down' },
      },
    });
    void this.deps.recorder.event(
      migration,
      'Warning',
      'FailedMigration',
      `VirtualMachineInstance migration uid ${migration.metadata.uid ?? ''} failed. reason: Target pod is down`,
    );
  }

  /** A target pod unschedulable for 5 minutes is deleted (the migration then fails); until then a warning, and a check when the time is up. */
  private async unschedulableTimeout(migration: Migration, vmi: VirtualMachineInstance | undefined, pod: Pod): Promise<ReconcileResult> {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (pod.spec.nodeName || scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable' || pod.metadata.deletionTimestamp)
      return undefined;
    const sinceMs = Date.parse(scheduled.lastTransitionTime ?? '') || this.deps.ctx.clock.nowMs();
    const leftMs = sinceMs + UNSCHEDULABLE_TIMEOUT_MS - this.deps.ctx.clock.nowMs();
    const podKey = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    if (leftMs > 0) {
      void this.deps.recorder.event(
        migration,
        'Warning',
        'migrationTargetPodUnschedulable',
        `Migration target pod for VMI [${vmi?.metadata.namespace ?? ''}/${migration.spec.vmiName}] is currently unschedulable.`,
      );
      return { requeueAfterMs: leftMs };
    }
    await this.deletePod(pod);
    void this.deps.recorder.event(migration, 'Normal', 'SuccessfulDelete', `unschedulable pod ${podKey} timeout period exceeded`);
    return undefined;
  }

  /**
   * DELETE of a handed-off VMIM (virtctl migrate-cancel): the migrationAbortRequested condition, and once the
   * migration is Running the VMI's migrationState.abortRequested for the source handler (migration.go
   * markMigrationAbortInVmiStatus). True when it wrote the VMIM, whose update brings it back.
   */
  private async requestAbort(migration: Migration, vmi: VirtualMachineInstance | undefined): Promise<boolean> {
    if (!findCondition(migration.status?.conditions, ABORT_REQUESTED)) {
      const conditions = withCondition(migration.status?.conditions, abortRequestedCondition(this.deps.ctx.clock.now()));
      await this.deps.ctx.client.update<Migration>(
        { ...migration, status: { ...migration.status, conditions } },
        { subresource: 'status' },
      );
      return true;
    }
    const state = vmi?.status?.migrationState;
    if (migration.status?.phase !== 'Running' || !vmi || !state || state.migrationUid !== migration.metadata.uid || state.abortRequested)
      return false;
    try {
      await this.deps.ctx.client.update<VirtualMachineInstance>({
        ...vmi,
        status: { ...vmi.status, migrationState: { ...state, abortRequested: true } },
      });
    } catch (err) {
      const message = `failed to set MigrationState in VMI status. :${errorMessage(err)}`;
      void this.deps.recorder.event(migration, 'Warning', 'FailedAbortMigration', message);
      throw err;
    }
    void this.deps.recorder.event(migration, 'Normal', 'SuccessfulAbortMigration', 'Migration is ready to be canceled by virt-handler.');
    return false;
  }

  /** DELETE of the VMIM: before hand-off the target pod goes and the migration fails; once final the finalizer goes. */
  private async cancel(migration: Migration, targetPod: Pod | undefined): Promise<void> {
    const phase = migration.status?.phase ?? '';
    if (!isMigrationFinal(migration) && !isHandedOff(phase)) {
      if (targetPod) {
        await this.deletePod(targetPod);
        void this.deps.recorder.event(
          migration,
          'Normal',
          'SuccessfulDelete',
          `migration canceled and pod ${targetPod.metadata.namespace ?? ''}/${targetPod.metadata.name ?? ''} is deleted`,
        );
      }
      const conditions = withCondition(migration.status?.conditions, abortRequestedCondition(this.deps.ctx.clock.now()));
      await this.writeStatus({ ...migration, status: { ...migration.status, conditions } }, 'Failed', undefined);
      void this.deps.recorder.event(migration, 'Warning', 'FailedMigration', 'Migration failed due to being canceled');
      return;
    }
    if (!isMigrationFinal(migration) || !migration.metadata.finalizers?.includes(FINALIZER_MIGRATION)) return;
    await this.deps.ctx.client.update<Migration>({
      ...migration,
      metadata: { ...migration.metadata, finalizers: migration.metadata.finalizers.filter((f) => f !== FINALIZER_MIGRATION) },
    });
  }

  private async writeStatus(migration: Migration, phase: MigrationPhase, vmi: VirtualMachineInstance | undefined): Promise<void> {
    const current = migration.status ?? {};
    const status = { ...current, phase };
    if (phase !== (current.phase ?? '')) {
      status.phaseTransitionTimestamps = [
        ...(current.phaseTransitionTimestamps ?? []),
        { phase, phaseTransitionTimestamp: rfc3339(this.deps.ctx.clock.now()) },
      ];
    }
    const state = vmi?.status?.migrationState;
    // The VMIM carries a copy of the VMI's migrationState: the source pod while pending, all of it once final.
    if (state?.migrationUid === migration.metadata.uid && (phase === 'Succeeded' || phase === 'Failed'))
      status.migrationState = { ...state };
    else if (phase === 'Pending' && vmi && !status.migrationState) {
      const sourcePod = this.sourcePodOf(vmi);
      if (sourcePod) status.migrationState = { sourcePod: sourcePod.metadata.name, sourceNode: vmi.status?.nodeName };
    }
    if (JSON.stringify(status) === JSON.stringify(current)) return;
    await this.deps.ctx.client.update<Migration>({ ...migration, status }, { subresource: 'status' });
  }

  /** Only the newest finished migrations of a VMI stay. */
  private async collectGarbage(migration: Migration): Promise<void> {
    const finished = this.migrationsOf(migration.metadata.namespace, migration.spec.vmiName)
      .filter((m) => isMigrationFinal(m) || m.metadata.uid === migration.metadata.uid)
      .sort((a, b) => ((b.metadata.creationTimestamp ?? '') < (a.metadata.creationTimestamp ?? '') ? -1 : 1));
    for (const old of finished.slice(FINISHED_KEPT)) {
      try {
        await this.deps.ctx.client.delete(VMIM_REF, old.metadata.namespace, old.metadata.name ?? '');
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
    }
  }

  private async deletePod(pod: Pod): Promise<void> {
    try {
      await this.deps.ctx.client.delete(POD_REF, pod.metadata.namespace, pod.metadata.name ?? '');
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
}
