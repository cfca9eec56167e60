/**
 * client-go's leader election (tools/leaderelection) on a coordination.k8s.io/v1 Lease, for the components that run
 * in one process at a time when several emulators serve one cluster (on etcd): the holder renews the Lease every
 * retry period and stops leading when it could not for the renew deadline; another process takes the Lease once it
 * has seen the same record unchanged for the lease duration. The wrapped components run only while this one leads.
 */
import type { Component } from '../runtime/component.js';
import type { ComponentContext } from '../runtime/component-context.js';
import { rfc3339Micro, type TimerHandle } from '../runtime/clock.js';
import { errorCode, LEASE_REF, type Lease } from './nodes.js';

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/**
 * kube-controller-manager's and kube-scheduler's defaults (--leader-elect-lease-duration 15s, renew 10s, retry 2s);
 * KubeVirt's virt-controller and virt-operator use the same (pkg/virt-controller/leaderelectionconfig).
 */
export const KUBE_LEADER_ELECTION: LeaderElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** Wraps components that must run in one process of the cluster at a time under the named Lease (or runs them as they are). */
export type Elect = (lock: { namespace: string; name: string }, components: Component[]) => Component[];

/** One process, no election: every component runs. */
export const runAlways: Elect = (_lock, components) => components;

type ElectionLease = Lease & { spec?: Lease['spec'] & { leaseTransitions?: number } };

export class LeaderElected implements Component {
  readonly name: string;
  private leading = false;
  private running = false;
  private timer: TimerHandle | undefined;
  private lastRenewMs = 0;
  /** The Lease record as last seen and when (this process's clock), as client-go's observedRecord/observedTime. */
  private observed: { record: string; atMs: number } | undefined;

  constructor(
    private readonly ctx: ComponentContext,
    private readonly lock: { namespace: string; name: string },
    private readonly identity: string,
    private readonly components: Component[],
    private readonly timings: LeaderElectionTimings = KUBE_LEADER_ELECTION,
  ) {
    this.name = `leader election ${lock.namespace}/${lock.name}`;
  }

  /** Tries once before it returns, so a lone process runs its components from the start. */
  async start(): Promise<void> {
    this.running = true;
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    if (this.leading) await this.stopLeading();
  }

  private async attempt(): Promise<void> {
    const acquired = await this.tryAcquireOrRenew().catch(() => false);
    if (!this.running) return;
    const now = this.ctx.clock.nowMs();
    if (acquired) {
      this.lastRenewMs = now;
      if (!this.leading) {
        this.leading = true;
        for (const component of this.components) await component.start();
      }
    } else if (this.leading && now - this.lastRenewMs > this.timings.renewDeadlineMs) {
      await this.stopLeading();
    }
    this.timer = this.ctx.clock.setTimeout(() => void this.attempt(), this.timings.retryPeriodMs);
  }

  private async stopLeading(): Promise<void> {
    this.leading = false;
    for (const component of [...this.components].reverse()) await component.stop();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, clock } = this.ctx;
    const { namespace, name } = this.lock;
    const now = rfc3339Micro(clock.now());
    const leaseDurationSeconds = this.timings.leaseDurationMs / 1000;
    let lease: ElectionLease | undefined;
    try {
      lease = await client.get<ElectionLease>(LEASE_REF, namespace, name);
    } catch (error) {
      if (errorCode(error) !== 404) throw error;
    }
    const mine = { holderIdentity: this.identity, leaseDurationSeconds, renewTime: now };
    if (!lease) {
      await client.create<ElectionLease>({
        ...LEASE_REF,
        metadata: { namespace, name },
        spec: { ...mine, acquireTime: now, leaseTransitions: 0 },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify(spec);
    if (this.observed?.record !== record) this.observed = { record, atMs: clock.nowMs() };
    const holder = spec.holderIdentity;
    const held = holder !== undefined && holder !== '' && holder !== this.identity;
    if (held && this.observed.atMs + this.timings.leaseDurationMs > clock.nowMs()) return false;
    const taken = holder !== this.identity;
    await client.update<ElectionLease>({
      ...lease,
      spec: {
        ...spec,
        ...mine,
        acquireTime: taken ? now : spec.acquireTime,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (taken ? 1 : 0),
      },
    });
    return true;
  }
}
