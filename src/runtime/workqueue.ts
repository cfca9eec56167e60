/**
 * The work queue between informers and reconcilers, after client-go's
 * workqueue: a key is queued at most once however often it is added, a key
 * being processed is not handed to a second worker, and a key added while it
 * is processed is queued again once its worker calls done(). Delays and
 * retry back-off run on the Clock.
 */
import type { Clock, TimerHandle } from './clock.js';

/** Per-key exponential back-off: base, 2×base, 4×base … capped (client-go's ItemExponentialFailureRateLimiter). */
export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1000_000,
  ) {}

  /** Counts one more failure of `key` and answers how long to wait before its next try. */
  when(key: string): number {
    const exponent = this.failures.get(key) ?? 0;
    this.failures.set(key, exponent + 1);
    return Math.min(this.baseMs * 2 ** exponent, this.maxMs);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

interface DelayedAdd {
  readyAtMs: number;
  timer: TimerHandle;
}

export class WorkQueue {
  /** Keys waiting for a worker, in order, from `head` on: taking one is O(1) even with a large backlog. */
  private queue: string[] = [];
  private head = 0;
  /** Keys that need processing: those queued plus those re-added while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, DelayedAdd>();
  /** Workers blocked in get(), served first come first served. */
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;

  constructor(
    private readonly clock: Clock,
    private readonly backoff = new ExponentialBackoff(),
  ) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.processing.has(key)) this.enqueue(key);
  }

  /** Adds `key` after `ms` of clock time; of several pending delayed adds of one key the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const readyAtMs = this.clock.nowMs() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.readyAtMs <= readyAtMs) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { readyAtMs, timer });
  }

  /** Retries `key` after its back-off, which doubles with each call until forget(key). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.backoff.when(key));
  }

  /** Ends the back-off of `key` (call after it was processed successfully). */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** The next key to process, waiting for one if needed; undefined once the queue is shut down and drained. */
  get(): Promise<string | undefined> {
    const key = this.takeNext();
    if (key !== undefined) return Promise.resolve(this.startProcessing(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile it goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.enqueue(key);
  }

  /** Stops accepting keys, drops pending delayed adds and releases idle workers. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer);
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Number of keys waiting for a worker. */
  get length(): number {
    return this.queue.length - this.head;
  }

  private takeNext(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++];
    // Drop the consumed prefix once it dominates, so memory follows the backlog.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  private enqueue(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.startProcessing(key));
    else this.queue.push(key);
  }

  private startProcessing(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
