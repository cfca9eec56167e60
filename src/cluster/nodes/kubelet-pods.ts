/**
 * The kubelet's pod workers for one node: for each pod bound to the node it
 * plans the pod's life once, then at every instant of the plan writes the
 * status that instant gives and records the kubelet's Events. A deleted pod's
 * containers stop within its grace period; then the kubelet removes the pod
 * with a zero-grace delete, the only delete that removes a pod in its grace.
 */
import type { EventRecorder } from '../../runtime/events.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { objectKey, type EventSource, type Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { isPodTerminal, POD_REF, type Pod } from '../../kube/pods.js';
import { randomHex } from './ids.js';
import { pullError } from './image-pulls.js';
import { normalizeImage } from './images.js';
import { jsonEqual } from '../../kube/json-equal.js';
import { errorCode } from '../../kube/nodes.js';
import { containerFieldPath, nextChangeMs, planPod, plannedEvents, podStatusAt, type PodPlan, type Timing } from './pod-lifecycle.js';
import { PodAddressPool } from './pod-addresses.js';
import { podsWithIp } from './pod-index.js';

export interface KubeletPodsOptions {
  ctx: ComponentContext;
  nodeName: string;
  hostIP: string;
  podCIDR: string | undefined;
  pods: Informer<Pod>;
  /** The changes of this node's pods. */
  podChanges: EventSource<Pod>;
  recorder: EventRecorder;
  /** Images on the node, kept across kubelet restarts as containerd keeps them. */
  images: Set<string>;
  /** Normalized references whose pulls fail as the registry does not have them. */
  missingImages: ReadonlySet<string>;
}

interface Tracked {
  plan: PodPlan;
  /**
   * The Events due at or before this instant are recorded: every sync records all the plan's Events due by then, and
   * a plan's instants never move, so this instant alone tells which are new (no key kept per Event and pod).
   */
  eventsRecordedThroughMs: number;
}

export class KubeletPods {
  readonly controller: Controller;
  private readonly tracked = new Map<string, Tracked>();
  private readonly addresses: PodAddressPool;

  constructor(private readonly options: KubeletPodsOptions) {
    const { ctx, nodeName, podChanges } = options;
    this.addresses = new PodAddressPool(options.podCIDR);
    this.controller = new Controller({
      name: `kubelet-${nodeName}`,
      clock: ctx.clock,
      logger: ctx.logger,
      workers: 4,
      reconcile: (key) => this.sync(key),
    }).watch(podChanges, (pod) => (pod.spec?.nodeName === nodeName ? [objectKey(pod)] : []));
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const { ctx, nodeName } = this.options;
    const pod = this.options.pods.get(key);
    if (!pod || pod.spec.nodeName !== nodeName) return this.forget(key);
    const uid = pod.metadata.uid ?? '';
    const nowMs = ctx.clock.nowMs();
    let tracked = this.tracked.get(key);
    if (tracked && tracked.plan.uid !== uid) {
      // The same name now holds a new pod: the old one is gone.
      this.forget(key);
      tracked = undefined;
    }
    if (!tracked) {
      // A finished pod has nothing left to run: it is left as it is, or removed once deleted.
      if (isPodTerminal(pod)) return pod.metadata.deletionTimestamp ? this.removePod(pod) : undefined;
      tracked = this.admit(key, pod, nowMs);
    }
    const { plan } = tracked;
    if (pod.metadata.deletionTimestamp && plan.stopRequestedMs === undefined) await this.beginStop(pod, plan, nowMs);

    const status = podStatusAt(pod, plan, { hostIP: this.options.hostIP }, nowMs);
    for (const event of plannedEvents(plan, nowMs)) {
      if (event.atMs > tracked.eventsRecordedThroughMs) {
        void this.options.recorder.event(pod, event.type, event.reason, event.message, event.fieldPath);
      }
    }
    tracked.eventsRecordedThroughMs = Math.max(tracked.eventsRecordedThroughMs, nowMs);
    if (!jsonEqual(status, pod.status)) await ctx.client.update<Pod>({ ...pod, status }, { subresource: 'status' });

    if (plan.stopMs !== undefined && nowMs >= plan.stopMs) {
      await this.removePod(pod);
      this.forget(key);
      return;
    }
    const next = nextChangeMs(plan, nowMs);
    return next === undefined ? undefined : { requeueAfterMs: next - nowMs };
  }

  private admit(key: string, pod: Pod, nowMs: number): Tracked {
    const { ctx, images } = this.options;
    const timing: Timing = {
      podStartMs: ctx.profile.podStartMs,
      readinessMs: ctx.profile.readinessMs,
      probeDelays: ctx.profile.probeDelays,
      jobRunMs: ctx.profile.jobRunMs,
      jitter: (ms) => ctx.random.jitter(ms, ctx.profile.jitter),
      newContainerID: () => randomHex(ctx.random, 64),
      imagePresent: (image) => images.has(normalizeImage(image)),
      pullError: (image) => pullError(image, this.options.missingImages.has(normalizeImage(image))),
    };
    const plan = planPod(pod, nowMs, timing);
    for (const container of plan.containers) if (container.pullError === undefined) images.add(normalizeImage(container.image));
    if (!pod.spec.hostNetwork) plan.podIP = this.addresses.assign(plan.uid, plan.podIP, (address) => this.addressInUse(address));
    // A pod that already has a status was started by an earlier run of this kubelet, which recorded its events.
    const tracked = { plan, eventsRecordedThroughMs: pod.status?.startTime ? nowMs : -Infinity };
    this.tracked.set(key, tracked);
    return tracked;
  }

  /** SIGTERM: the containers stop after the profile's stop time, cut short by the grace period. */
  private async beginStop(pod: Pod, plan: PodPlan, nowMs: number): Promise<void> {
    const { ctx, recorder } = this.options;
    plan.stopRequestedMs = nowMs;
    const status = podStatusAt(pod, plan, { hostIP: this.options.hostIP }, nowMs);
    const running = [
      ...(status.initContainerStatuses ?? []).map((s) => ({ status: s, init: true })),
      ...(status.containerStatuses ?? []).map((s) => ({ status: s, init: false })),
    ].filter((c) => c.status.state?.running);
    const graceMs = (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
    plan.stopMs =
      running.length === 0
        ? nowMs
        : nowMs + Math.round(Math.min(ctx.random.jitter(ctx.profile.containerStopMs, ctx.profile.jitter), graceMs));
    for (const { status: container, init } of running) {
      void recorder.event(pod, 'Normal', 'Killing', `Stopping container ${container.name}`, containerFieldPath(container.name, init));
    }
  }

  private async removePod(pod: Pod): Promise<void> {
    try {
      await this.options.ctx.client.delete(POD_REF, pod.metadata.namespace, pod.metadata.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      // Already gone, or replaced by a new pod of the same name: nothing of ours to remove.
      if (errorCode(err) !== 404 && errorCode(err) !== 409) throw err;
    }
  }

  private forget(key: string): void {
    const tracked = this.tracked.get(key);
    if (!tracked) return;
    this.tracked.delete(key);
    this.addresses.release(tracked.plan.uid);
  }

  /** Whether a live pod of the node has the address as the API shows it (a restarted kubelet learns them there). */
  private addressInUse(address: string): boolean {
    return podsWithIp(this.options.pods, address).some((pod) => pod.spec?.nodeName === this.options.nodeName && !isPodTerminal(pod));
  }
}
