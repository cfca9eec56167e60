/**
 * virt-handler's side of a live migration on one node (pkg/virt-handler/
 * migration-source.go, migration-target.go), driven by the VMI's
 * status.migrationState once virt-controller has handed the migration off:
 *
 * - target: once the target pod runs here, listen for the migration
 *   (targetNodeAddress, ports; PreparingTarget events); once the source
 *   reports success, take the VMI over (nodeName, label, evacuation mark;
 *   Migrated event); after a failure the target launcher exits.
 * - source: once the target listens, start the transfer (startTimestamp,
 *   mode PreCopy; Migrating event), abort it when virt-controller sets
 *   abortRequested, report how it ended (completed, failed, endTimestamp,
 *   abortStatus), and after a success let the source launcher exit.
 *
 * A launcher "exits" by its pod being deleted: the simulated kubelet has no
 * way for a container to end on its own, so the pod goes instead of being
 * left Succeeded.
 */
import { asIdentity, type ComponentContext } from '../../runtime/component-context.js';
import { isPodTerminal, POD_REF, type Pod } from '../../kube/pods.js';
import type { MigrationState } from '../controller/migration/migration-types.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import type { DomainRegistry } from './domains.js';
import type { NodeChanges } from './node-routing.js';
import { isFinalPhase, NODE_NAME_LABEL, type VirtualMachineInstance, type VmiStatus } from './vmi-types.js';

export interface MigrationSyncDeps {
  ctx: ComponentContext;
  nodeName: string;
  vmis: Informer<VirtualMachineInstance>;
  launcherPods: Informer<Pod>;
  /** The virt-handler pods: the target listens on its handler pod's IP. */
  handlerPods: Informer<Pod>;
  domains: DomainRegistry;
  /** The changes of VMIs, launcher pods and domains that concern this node. */
  changes: NodeChanges;
}

const EPHEMERAL_PORT_BASE = 32768;
const EPHEMERAL_PORT_COUNT = 28232;
/** virt-handler's proxy ports for the migration stream and, for block migration, the disk stream. */
const PROXY_DESTINATIONS = [0, 49152];
const BLOCK_PROXY_DESTINATION = 49153;

export const migrationStateOf = (vmi: VirtualMachineInstance): MigrationState | undefined =>
  vmi.status?.migrationState as MigrationState | undefined;

export class MigrationSync implements Component {
  readonly name: string;
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: MigrationSyncDeps) {
    const { ctx, nodeName } = deps;
    this.name = `virt-handler-migrations-${nodeName}`;
    this.recorder = new EventRecorder(ctx.client, ctx.clock, { component: 'virt-handler', host: nodeName }, ctx.logger);
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) })
      .watch(deps.changes.vmis, (vmi) => (this.involves(vmi) ? [objectKey(vmi)] : []))
      .watch(deps.changes.launcherPods, (pod) => {
        const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'VirtualMachineInstance');
        return pod.spec?.nodeName === nodeName && owner ? [`${pod.metadata.namespace ?? ''}/${owner.name}`] : [];
      });
  }

  async start(): Promise<void> {
    this.unsubscribe = this.deps.changes.subscribeDomains((key) => this.controller.enqueue(key));
    await this.controller.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.controller.stop();
  }

  private involves(vmi: VirtualMachineInstance): boolean {
    const state = migrationStateOf(vmi);
    return state?.migrationUid !== undefined && (state.sourceNode === this.deps.nodeName || state.targetNode === this.deps.nodeName);
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const vmi = this.deps.vmis.get(key);
    if (!vmi || !this.involves(vmi) || isFinalPhase(vmi.status?.phase)) return;
    const state = migrationStateOf(vmi)!;
    if (state.targetNode === this.deps.nodeName) await this.asTarget(vmi, state);
    else await this.asSource(vmi, state);
  }

  private podNamed(vmi: VirtualMachineInstance, name: string | undefined): Pod | undefined {
    const pod = name ? this.deps.launcherPods.getByName(vmi.metadata.namespace, name) : undefined;
    return pod?.spec.nodeName === this.deps.nodeName ? pod : undefined;
  }

  private async asTarget(vmi: VirtualMachineInstance, state: MigrationState): Promise<void> {
    const pod = this.podNamed(vmi, state.targetPod);
    if (state.failed) {
      if (pod) await this.launcherExits(pod);
      return;
    }
    if (!state.completed) {
      if (state.targetNodeAddress || !pod || isPodTerminal(pod) || pod.status?.phase !== 'Running') return;
      await this.listen(vmi, state);
      return;
    }
    if (vmi.status?.nodeName !== this.deps.nodeName) await this.takeOver(vmi, state);
  }

  /** The target launcher waits for the incoming domain; its handler proxies the streams on fresh ports. */
  private async listen(vmi: VirtualMachineInstance, state: MigrationState): Promise<void> {
    const address =
      this.deps.handlerPods.list().find((p) => p.spec.nodeName === this.deps.nodeName && !p.metadata.deletionTimestamp)?.status?.podIP ??
      '';
    const destinations =
      vmi.status?.migrationMethod === 'BlockMigration' ? [...PROXY_DESTINATIONS, BLOCK_PROXY_DESTINATION] : PROXY_DESTINATIONS;
    const ports: Record<string, number> = {};
    for (const destination of destinations)
      ports[String(EPHEMERAL_PORT_BASE + Math.floor(this.deps.ctx.random.next() * EPHEMERAL_PORT_COUNT))] = destination;
    await this.writeState(vmi, { ...state, targetNodeAddress: address, targetDirectMigrationNodePorts: ports });
    void this.recorder.event(
      vmi,
      'Normal',
      'PreparingTarget',
      `Migration Target is listening at ${address}, on ports: ${Object.keys(ports).join(',')}`,
    );
    void this.recorder.event(vmi, 'Normal', 'PreparingTarget', 'VirtualMachineInstance Migration Target Prepared.');
  }

  /** The domain runs here now: the VMI is this node's. */
  private async takeOver(vmi: VirtualMachineInstance, state: MigrationState): Promise<void> {
    const now = rfc3339(this.deps.ctx.clock.now());
    const status: VmiStatus = {
      ...vmi.status,
      nodeName: this.deps.nodeName,
      migrationTransport: 'Unix',
      launcherContainerImageVersion: '',
      migrationState: {
        ...state,
        targetNodeDomainDetected: true,
        targetNodeDomainReadyTimestamp: state.targetNodeDomainReadyTimestamp ?? now,
      },
    };
    delete status.evacuationNodeName;
    if (state.targetMemoryOverhead) status.memory = { ...status.memory, memoryOverhead: state.targetMemoryOverhead };
    const annotations = { ...vmi.metadata.annotations };
    delete annotations['kubevirt.io/eviction-source'];
    await this.deps.ctx.client.update<VirtualMachineInstance>({
      ...vmi,
      metadata: { ...vmi.metadata, annotations, labels: { ...vmi.metadata.labels, [NODE_NAME_LABEL]: this.deps.nodeName } },
      status,
    });
    void this.recorder.event(vmi, 'Normal', 'Migrated', `The VirtualMachineInstance migrated to node ${this.deps.nodeName}.`);
  }

  private async asSource(vmi: VirtualMachineInstance, state: MigrationState): Promise<void> {
    const { domains } = this.deps;
    const uid = state.migrationUid ?? '';
    if (state.completed) {
      // Once the target has taken the VMI over, the source launcher has nothing left to run.
      if (!state.failed && vmi.status?.nodeName !== this.deps.nodeName) {
        const pod = this.podNamed(vmi, state.sourcePod);
        if (pod) await this.launcherExits(pod);
      }
      return;
    }
    const outcome = domains.migrationOutcome(uid);
    if (outcome) {
      const ended: MigrationState = { ...state, completed: true, failed: outcome.failed, endTimestamp: rfc3339(this.deps.ctx.clock.now()) };
      if (outcome.reason) ended.failureReason = outcome.reason;
      if (outcome.abortStatus) ended.abortStatus = outcome.abortStatus;
      await this.writeState(vmi, ended);
      domains.forgetMigration(uid);
      if (outcome.failed)
        void this.recorder.event(
          vmi,
          'Warning',
          'Migrated',
          `VirtualMachineInstance migration uid ${uid} failed. reason:${outcome.reason ?? ''}`,
        );
      return;
    }
    const domain = domains.byKey(objectKey(vmi));
    // virt-controller asked for an abort (the VMIM was deleted while Running): the launcher cancels the transfer
    // (migration-source.go handleMigrationAbort); its outcome comes back as a failed migration with abortStatus.
    if (state.abortRequested) {
      if (domain && domains.abortMigration(domain, uid))
        void this.recorder.event(vmi, 'Normal', 'Migrating', 'VirtualMachineInstance is aborting migration.');
      return;
    }
    if (!state.targetNodeAddress || state.startTimestamp) return;
    const targetPod = state.targetPod ? this.deps.launcherPods.getByName(vmi.metadata.namespace, state.targetPod) : undefined;
    if (!domain || domain.nodeName !== this.deps.nodeName || !targetPod) return;
    await this.writeState(vmi, { ...state, startTimestamp: rfc3339(this.deps.ctx.clock.now()), mode: 'PreCopy' });
    void this.recorder.event(vmi, 'Normal', 'Migrating', 'VirtualMachineInstance is migrating.');
    domains.migrate(domain, uid, state.targetNode ?? '', targetPod.metadata.uid ?? '');
  }

  private async writeState(vmi: VirtualMachineInstance, state: MigrationState): Promise<void> {
    await this.deps.ctx.client.update<VirtualMachineInstance>({ ...vmi, status: { ...vmi.status, migrationState: state } });
  }

  /** The source launcher's process ends; its node's kubelet removes the pod (virt-handler's RBAC holds no pod deletes). */
  private async launcherExits(pod: Pod): Promise<void> {
    if (pod.metadata.deletionTimestamp) return;
    const kubelet = asIdentity(this.deps.ctx, { component: 'kubelet', node: pod.spec?.nodeName ?? this.deps.nodeName }).client;
    try {
      await kubelet.delete(POD_REF, pod.metadata.namespace, pod.metadata.name ?? '');
    } catch (err) {
      if ((err as { code?: unknown }).code !== 404) throw err;
    }
  }
}
