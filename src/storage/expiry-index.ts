/**
 * Keys that expire at a point of Clock time, as etcd keys attached to a lease
 * do: one timer for the earliest deadline, however many keys there are. A key
 * given a new deadline keeps only the new one (an Event written again lives
 * another TTL from that write).
 */
import type { Clock, TimerHandle } from '../runtime/clock.js';
import { MinHeap } from '../runtime/min-heap.js';

interface Deadline {
  key: string;
  atMs: number;
}

export class ExpiryIndex {
  private readonly deadlines = new Map<string, number>();
  /** Deadlines in time order; may hold superseded ones, skipped when they reach the top and dropped by compaction. */
  private heap = new MinHeap<Deadline>(earlier);
  private timer: { handle: TimerHandle; atMs: number } | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (key: string) => void,
  ) {}

  /** `key` expires `ttlMs` from now, whatever deadline it had. */
  set(key: string, ttlMs: number): void {
    const atMs = this.clock.nowMs() + ttlMs;
    this.deadlines.set(key, atMs);
    this.heap.push({ key, atMs });
    if (this.heap.size > 2 * this.deadlines.size + 1024) this.compact();
    this.schedule();
  }

  delete(key: string): void {
    this.deadlines.delete(key);
  }

  get size(): number {
    return this.deadlines.size;
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
      this.deadlines.delete(next.key);
      this.onExpire(next.key);
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

  private firstLive(): Deadline | undefined {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      if (this.deadlines.get(top.key) === top.atMs) return top;
      this.heap.pop();
    }
    return undefined;
  }

  private compact(): void {
    this.heap = new MinHeap<Deadline>(earlier);
    for (const [key, atMs] of this.deadlines) this.heap.push({ key, atMs });
  }
}

const earlier = (a: Deadline, b: Deadline): number => a.atMs - b.atMs;
