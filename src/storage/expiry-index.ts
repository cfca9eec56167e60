/**
 * Deadlines on the Clock, as etcd's leases: one timer for the earliest
 * deadline, however many there are. The index keeps the deadlines only;
 * whether one still holds (no later write renewed or ended the lease, the key
 * was not removed) is its owner's answer, asked when the deadline comes up and
 * when superseded deadlines are dropped. So the owner keeps no key of its own
 * per lease (the store asks its stored object), and a renewal costs one entry.
 */
import type { Clock, TimerHandle } from '../runtime/clock.js';
import { MinHeap } from '../runtime/min-heap.js';

export interface Deadline {
  readonly atMs: number;
}

/** Superseded deadlines allowed beyond twice the live ones before they are dropped (amortised: each drop costs one pass). */
const COMPACTION_SLACK = 1024;

export class ExpiryIndex<D extends Deadline> {
  /** Deadlines in time order; may hold superseded ones, skipped when they reach the top and dropped by compaction. */
  private heap = new MinHeap<D>(earlier);
  private compactAbove = COMPACTION_SLACK;
  private timer: { handle: TimerHandle; atMs: number } | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    /** Whether the deadline is still the one in force (false: renewed, ended or removed since). */
    private readonly holds: (deadline: D) => boolean,
    private readonly onExpire: (deadline: D) => void,
  ) {}

  /** A new deadline; an earlier one of the same key stops holding by its owner's answer. */
  add(deadline: D): void {
    this.heap.push(deadline);
    if (this.heap.size > this.compactAbove) this.compact();
    this.schedule();
  }

  /** Expires nothing more and drops the timer, so a stopped server leaves no timer keeping the process alive. */
  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
  }

  private expireDue(): void {
    this.timer = undefined;
    const nowMs = this.clock.nowMs();
    for (let next = this.firstLive(); next && next.atMs <= nowMs; next = this.firstLive()) {
      this.heap.pop();
      this.onExpire(next);
    }
    this.schedule();
  }

  /** One timer, at the earliest live deadline. */
  private schedule(): void {
    if (this.stopped) return;
    const next = this.firstLive();
    if (this.timer && next && this.timer.atMs <= next.atMs) return;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (!next) return;
    const handle = this.clock.setTimeout(() => this.expireDue(), next.atMs - this.clock.nowMs());
    this.timer = { handle, atMs: next.atMs };
  }

  private firstLive(): D | undefined {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      if (this.holds(top)) return top;
      this.heap.pop();
    }
    return undefined;
  }

  private compact(): void {
    const heap = new MinHeap<D>(earlier);
    for (let top = this.heap.pop(); top; top = this.heap.pop()) if (this.holds(top)) heap.push(top);
    this.heap = heap;
    this.compactAbove = 2 * heap.size + COMPACTION_SLACK;
  }
}

const earlier = (a: Deadline, b: Deadline): number => a.atMs - b.atMs;
