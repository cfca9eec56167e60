/**
 * virt-handler's VMI loop on one node: for every VMI handed to this node
 * (status.nodeName), define the domain in its launcher pod once the VMI is
 * Scheduled and the pod has the network links it needs (else Synchronized=
 * False until the pod changes), pass on a deletion as an ACPI shutdown that honours
 * terminationGracePeriodSeconds, and write the status the domain's state
 * gives, with the handler's events. Domain events and launcher pod changes
 * bring the VMI back to the queue.
 */
import type { ComponentContext } from '../../runtime/component-context.js';
import { jsonEqual } from '../../kube/json-equal.js';
import type { Node } from '../../kube/nodes.js';
import { isPodTerminal, type Pod } from '../../kube/pods.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import type { Domain, DomainRegistry } from './domains.js';
import type { NodeChanges } from './node-routing.js';
import { guestOfVmi } from './guest-os.js';
import { migrationStateOf } from './migration-sync.js';
import { HOST_MODEL_LABEL_PREFIX } from './node-labels.js';
import { missingPodLinkError, multusAttachedInterfaces, podLinks } from './pod-network.js';
import { handlerStatus, phaseChangeEvent } from './vmi-status.js';
import { volumeStatusEvents } from './hotplug-volumes.js';
import { CREATED_BY_LABEL, isFinalPhase, type VirtualMachineInstance } from './vmi-types.js';

/** Name of the launcher pod index (by the VMI UID in the kubevirt.io/created-by label). */
export const BY_VMI_UID = 'virt-handler/created-by';

/** The default of spec.terminationGracePeriodSeconds. */
const DEFAULT_GRACE_SECONDS = 30;

export interface VmiSyncDeps {
  ctx: ComponentContext;
  nodeName: string;
  vmis: Informer<VirtualMachineInstance>;
  /** Launcher pods of the cluster, indexed by BY_VMI_UID. */
  launcherPods: Informer<Pod>;
  nodes: Informer<Node>;
  domains: DomainRegistry;
  /** The changes of VMIs, launcher pods and domains that concern this node. */
  changes: NodeChanges;
}

/** The domain runs on the migration's target node, but the VMI still names the source. */
function migratedNotYetTakenOver(vmi: VirtualMachineInstance, domainNode: string): boolean {
  const state = migrationStateOf(vmi);
  return state?.targetNode === domainNode && !state.failed && vmi.status?.nodeName !== domainNode;
}

const computeEnded = (pod: Pod): boolean =>
  pod.status?.containerStatuses?.find((c) => c.name === 'compute')?.state?.terminated !== undefined;

export class VmiSync implements Component {
  readonly name: string;
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private unsubscribe: (() => void) | undefined;
  /** The sync error last reported (SyncFailed) per VMI UID, so one failure makes one event. */
  private readonly reportedFailures = new Map<string, string>();

  constructor(private readonly deps: VmiSyncDeps) {
    const { ctx, nodeName } = deps;
    this.name = `virt-handler-vmis-${nodeName}`;
    this.recorder = new EventRecorder(ctx.client, ctx.clock, { component: 'virt-handler', host: nodeName }, ctx.logger);
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) })
      .watch(deps.changes.vmis, (vmi) => (this.isMine(vmi) ? [objectKey(vmi)] : []))
      .watch(deps.changes.launcherPods, (pod) => (pod.spec?.nodeName === nodeName ? this.vmiKeysOf(pod) : []));
  }

  async start(): Promise<void> {
    this.unsubscribe = this.deps.changes.subscribeDomains((key) => {
      const vmi = this.deps.vmis.get(key);
      if (!vmi || this.isMine(vmi) || this.deps.domains.byKey(key)?.nodeName === this.deps.nodeName) this.controller.enqueue(key);
    });
    await this.controller.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.controller.stop();
  }

  private isMine(vmi: VirtualMachineInstance): boolean {
    return vmi.status?.nodeName === this.deps.nodeName;
  }

  private vmiKeysOf(pod: Pod): string[] {
    const uid = pod.metadata.labels?.[CREATED_BY_LABEL];
    const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'VirtualMachineInstance' && o.uid === uid);
    return owner && pod.metadata.namespace ? [`${pod.metadata.namespace}/${owner.name}`] : [];
  }

  /** The VMI's launcher pod on this node, a running one first. */
  private launcherPodOf(vmi: VirtualMachineInstance): Pod | undefined {
    const pods = this.deps.launcherPods
      .byIndex(BY_VMI_UID, vmi.metadata.uid ?? '')
      .filter((pod) => pod.spec.nodeName === this.deps.nodeName);
    return pods.find((pod) => !isPodTerminal(pod)) ?? pods[0];
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { domains, nodeName } = this.deps;
    const vmi = this.deps.vmis.get(key);
    // The VMI's own domain first: a VMI re-created under the same name (a pool's restart, a VM's new start) on another
    // node has its domain here while the old one, oldest under the key, still waits for its own node's handler.
    let domain = domains.get(vmi?.metadata.uid ?? '') ?? domains.byKey(key);
    // Between the domain arriving on the target and the target handler taking the VMI over, the migration loop owns it.
    if (vmi && domain && migratedNotYetTakenOver(vmi, domain.nodeName)) return;
    if (domain && domain.nodeName !== nodeName) domain = undefined;
    if (!vmi || !this.isMine(vmi)) {
      // The VMI is gone (or no longer ours): nothing keeps its domain.
      if (domain) domains.remove(domain.uid);
      if (vmi) this.reportedFailures.delete(vmi.metadata.uid ?? '');
      return;
    }
    if (domain && domain.uid !== vmi.metadata.uid) {
      domains.remove(domain.uid);
      domain = undefined;
    }
    const pod = this.launcherPodOf(vmi);
    // A launcher that went away took its QEMU with it, unless the domain had already stopped.
    if (domain && !pod && domain.state !== 'Shutoff') {
      domains.remove(domain.uid);
      domain = undefined;
    }
    if (isFinalPhase(vmi.status?.phase)) {
      this.reportedFailures.delete(vmi.metadata.uid ?? '');
      if (domain) {
        domains.remove(domain.uid);
        void this.recorder.event(vmi, 'Normal', 'Deleted', 'Signaled Deletion');
      }
      return;
    }
    const launcherAlive = pod !== undefined && !isPodTerminal(pod) && !computeEnded(pod);
    const stopping = vmi.metadata.deletionTimestamp !== undefined || pod?.metadata.deletionTimestamp !== undefined;
    let networkError: string | undefined;
    if (!domain && launcherAlive) domain = this.resumeDomain(vmi, pod);
    if (domain && stopping) this.signalShutdown(vmi, domain);
    else if (!domain && !stopping && launcherAlive && vmi.status?.phase === 'Scheduled') {
      // The network is set up before the domain is defined; a missing link stops the start here, to be retried when the pod changes.
      networkError = missingPodLinkError(vmi, podLinks(pod));
      if (!networkError) domain = this.defineDomain(vmi, pod);
    }
    await this.writeStatus(vmi, domain, pod, launcherAlive, networkError ?? domain?.startFailure);
  }

  private defineDomain(vmi: VirtualMachineInstance, pod: Pod): Domain {
    const key = objectKey(vmi);
    void this.recorder.event(vmi, 'Normal', 'Created', 'VirtualMachineInstance defined.');
    const startPaused = vmi.spec?.startStrategy === 'Paused';
    return this.deps.domains.define(vmi.metadata.uid ?? '', key, pod.metadata.uid ?? '', this.deps.nodeName, guestOfVmi(vmi), {
      vmi,
      startPaused,
    });
  }

  /** The domain of a VMI that ran before the emulator restarted (see DomainRegistry.resume). */
  private resumeDomain(vmi: VirtualMachineInstance, pod: Pod): Domain | undefined {
    const phase = vmi.status?.phase;
    const paused = vmi.status?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True');
    if (phase !== 'Running') return undefined;
    const agentConnected = vmi.status?.conditions?.some((c) => c.type === 'AgentConnected' && c.status === 'True') ?? false;
    const { domains, nodeName } = this.deps;
    return domains.resume(vmi, pod.metadata.uid ?? '', nodeName, guestOfVmi(vmi), paused ? 'Paused' : 'Running', agentConnected);
  }

  private signalShutdown(vmi: VirtualMachineInstance, domain: Domain): void {
    if (domain.state === 'Shutoff') return;
    const grace = vmi.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    if (grace <= 0 || domain.state === 'Defined') {
      void this.recorder.event(vmi, 'Normal', 'Deleted', 'VirtualMachineInstance stopping');
      this.deps.domains.shutdown(domain, 0);
      return;
    }
    if (this.deps.domains.shutdown(domain, grace)) void this.recorder.event(vmi, 'Normal', 'ShuttingDown', 'Signaled Graceful Shutdown');
  }

  private async writeStatus(
    vmi: VirtualMachineInstance,
    domain: Domain | undefined,
    pod: Pod | undefined,
    launcherAlive: boolean,
    syncError: string | undefined,
  ): Promise<void> {
    const { ctx, nodeName } = this.deps;
    const node = this.deps.nodes.getByName(undefined, nodeName);
    const status = handlerStatus({
      vmi,
      domain,
      launcherAlive,
      podIPs: (pod?.status?.podIPs ?? []).map((ip) => ip.ip),
      multusAttached: multusAttachedInterfaces(pod),
      syncError,
      nodeName,
      nodeHasHostModel: Object.keys(node?.metadata.labels ?? {}).some((label) => label.startsWith(HOST_MODEL_LABEL_PREFIX)),
      now: rfc3339(ctx.clock.now()),
    });
    const uid = vmi.metadata.uid ?? '';
    if (syncError && this.reportedFailures.get(uid) !== syncError) {
      this.reportedFailures.set(uid, syncError);
      void this.recorder.event(vmi, 'Warning', 'SyncFailed', syncError);
    }
    if (jsonEqual(status, vmi.status)) return;
    await ctx.client.update<VirtualMachineInstance>({ ...vmi, status });
    if (domain?.killedAfterGracePeriod && status.phase !== vmi.status?.phase)
      void this.recorder.event(vmi, 'Normal', 'Deleted', 'VirtualMachineInstance stopping');
    const event = phaseChangeEvent(vmi.status?.phase, status.phase);
    if (event) void this.recorder.event(vmi, event.type, event.reason, event.message);
    for (const { reason, message } of volumeStatusEvents(vmi.status?.volumeStatus, status.volumeStatus))
      void this.recorder.event(vmi, 'Normal', reason, message);
  }
}
