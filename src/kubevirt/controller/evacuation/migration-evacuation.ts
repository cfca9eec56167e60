/**
 * virt-controller's evacuation controller (pkg/virt-controller/watch/drain/
 * evacuation): a VMI that virt-api marked for evacuation (status.
 * evacuationNodeName, set when the eviction of its launcher pod was refused)
 * gets a `kubevirt-evacuation-` migration, unless it is final, already
 * migrating, still has a second pod, or does not migrate on eviction.
 */
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import type { Informer } from '../../../runtime/informer.js';
import { hasCondition } from '../conditions.js';
import { errorMessage } from '../errors.js';
import { ANNOTATION_EVACUATION_MIGRATION, isMigrationFinal, VMIM_REF, type Migration } from '../migration/migration-types.js';
import { isFinal, type VirtualMachineInstance } from '../types.js';

export interface EvacuationControllerDeps {
  ctx: ComponentContext;
  migrations: Informer<Migration>;
  vmis: Informer<VirtualMachineInstance>;
  recorder: EventRecorder;
  /** spec.configuration.evictionStrategy of the KubeVirt CR (default None). */
  clusterEvictionStrategy: () => string | undefined;
}

/** Whether the VMI's eviction strategy asks for a live migration (VMIEvictionStrategy + MigratableOnEviction). */
export function migratesOnEviction(vmi: VirtualMachineInstance, clusterStrategy: string | undefined): boolean {
  const strategy = (vmi.spec.evictionStrategy as string | undefined) ?? clusterStrategy;
  if (strategy === 'LiveMigrate') return true;
  return strategy === 'LiveMigrateIfPossible' && hasCondition(vmi.status?.conditions, 'LiveMigratable', 'True');
}

export class EvacuationController implements Component {
  readonly name = 'virt-controller/evacuation';
  private readonly controller: Controller;
  /** Migrations created per VMI key that the informer has not shown yet: no second one meanwhile. */
  private readonly unseen = new Map<string, string>();

  constructor(private readonly deps: EvacuationControllerDeps) {
    this.controller = new Controller({
      name: this.name,
      clock: deps.ctx.clock,
      logger: deps.ctx.logger,
      reconcile: (key) => this.reconcile(key),
    });
    this.controller.watch(deps.vmis, (vmi) =>
      vmi.status?.evacuationNodeName ? [`${vmi.metadata.namespace ?? ''}/${vmi.metadata.name ?? ''}`] : [],
    );
    // A migration that ends lets a VMI still marked for evacuation try again.
    this.controller.watch(deps.migrations, (m) => [`${m.metadata.namespace ?? ''}/${m.spec.vmiName}`]);
  }

  start(): Promise<void> {
    return this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const vmi = this.deps.vmis.get(key);
    const node = vmi?.status?.evacuationNodeName as string | undefined;
    if (!vmi || !node || isFinal(vmi) || vmi.metadata.deletionTimestamp) return;
    if (!migratesOnEviction(vmi, this.deps.clusterEvictionStrategy())) return;
    if (Object.keys(vmi.status?.activePods ?? {}).length > 1) return;
    const own = this.deps.migrations.listByNamespace(vmi.metadata.namespace ?? '').filter((m) => m.spec.vmiName === vmi.metadata.name);
    const pending = this.unseen.get(key);
    if (pending && !own.some((m) => m.metadata.uid === pending)) return;
    this.unseen.delete(key);
    if (own.some((m) => !isMigrationFinal(m))) return;
    const migration: Migration = {
      apiVersion: 'kubevirt.io/v1',
      kind: VMIM_REF.kind,
      metadata: {
        generateName: 'kubevirt-evacuation-',
        namespace: vmi.metadata.namespace,
        annotations: { [ANNOTATION_EVACUATION_MIGRATION]: node },
      },
      spec: { vmiName: vmi.metadata.name ?? '', priority: 'system-critical' },
    };
    try {
      const created = await this.deps.ctx.client.create(migration);
      this.unseen.set(key, created.metadata.uid ?? '');
      void this.deps.recorder.event(vmi, 'Normal', 'SuccessfulCreate', `Created Migration ${created.metadata.name ?? ''}`);
    } catch (err) {
      void this.deps.recorder.event(vmi, 'Warning', 'FailedCreate', `Error creating a Migration: ${errorMessage(err)}`);
      throw err;
    }
  }
}
