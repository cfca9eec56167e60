/**
 * Time for the whole emulator. Every delay, timer, timestamp and heartbeat
 * goes through a Clock so a simulation can run on virtual time: tests step it
 * by hand, demos use the real one. RealClock is the only code allowed to touch
 * Date.now() and the global timers.
 */
import { MinHeap } from './min-heap.js';

/** Opaque handle of a scheduled callback; only the clock that issued it can cancel it. */
export interface TimerHandle {
  readonly timerId: number;
}

export interface Clock {
  now(): Date;
  nowMs(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  sleep(ms: number): Promise<void>;
  /**
   * Work that completes off the event loop (webcrypto, zlib, fs: libuv's
   * threadpool) and that time must not run past: a virtual clock fires no
   * timer while it is pending. Never pass work that itself waits on this clock.
   */
  hold<T>(work: Promise<T>): Promise<T>;
}

/** The longest delay Node's setTimeout honours (a signed 32-bit millisecond count). */
const maxNodeTimerMs = 2 ** 31 - 1;

export class RealClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timerId = this.nextId++;
    this.schedule(timerId, fn, this.nowMs() + Math.max(0, ms));
    return { timerId };
  }

  /** Node fires a timer over 2^31-1 ms at once (and warns), so a longer delay waits in steps of at most that. */
  private schedule(timerId: number, fn: () => void, dueMs: number): void {
    const remaining = dueMs - this.nowMs();
    const timer = setTimeout(
      () => {
        if (remaining > maxNodeTimerMs) return this.schedule(timerId, fn, dueMs);
        this.timers.delete(timerId);
        fn();
      },
      Math.min(Math.max(0, remaining), maxNodeTimerMs),
    );
    this.timers.set(timerId, timer);
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.timers.get(handle.timerId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(handle.timerId);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  hold<T>(work: Promise<T>): Promise<T> {
    return work;
  }
}

interface VirtualTimer {
  timerId: number;
  dueMs: number;
  fn: () => void;
}

const noop = (): void => {};

export interface PendingTimer {
  timerId: number;
  dueMs: number;
}

/** Lets every promise continuation queued so far run (one macrotask turn drains the microtask queue). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Time that moves only when told. Timers fire in due-time order (ties in the
 * order they were set), and between two firings the event loop gets a turn so
 * that async work started by one timer (and the timers it sets) happens
 * before the next fires, as it would in real time.
 */
export class VirtualClock implements Clock {
  private currentMs: number;
  private nextId = 1;
  /** Live timers by id; ids grow with insertion, which gives the tie order. */
  private readonly timers = new Map<number, VirtualTimer>();
  /** Due order; may still hold cleared timers, skipped when they reach the top. */
  private readonly queue = new MinHeap<VirtualTimer>(earlierTimer);
  /** Set while running freely and out of timers: the next setTimeout wakes the loop. */
  private wakeFreeRun: (() => void) | undefined;
  /** Off-loop work in progress (see hold), each as a promise that settles without rejecting. */
  private readonly held = new Set<Promise<void>>();

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.currentMs = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  nowMs(): number {
    return this.currentMs;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timerId = this.nextId++;
    const timer = { timerId, dueMs: this.currentMs + Math.max(0, ms), fn };
    this.timers.set(timerId, timer);
    this.queue.push(timer);
    this.wakeFreeRun?.();
    return { timerId };
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.timers.get(handle.timerId);
    if (!timer) return;
    this.timers.delete(handle.timerId);
    // The queue keeps the cleared timer until it is due; its callback (and all the callback holds, such as a
    // webhook call's request and response behind its timeout) goes now.
    timer.fn = noop;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /**
   * Under load libuv's threadpool can take longer than any number of event
   * loop turns, so time waits for held work explicitly; otherwise it would
   * race ahead of, say, an operator issuing certificates, and waits time out.
   */
  hold<T>(work: Promise<T>): Promise<T> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.held.add(done);
    void done.then(() => this.held.delete(done));
    return work;
  }

  pendingTimers(): PendingTimer[] {
    return [...this.timers.values()].sort(earlierTimer).map(({ timerId, dueMs }) => ({ timerId, dueMs }));
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, including ones set meanwhile. */
  async advance(ms: number): Promise<void> {
    const targetMs = this.currentMs + Math.max(0, ms);
    await this.settle();
    for (let timer = this.nextDue(targetMs); timer; timer = this.nextDue(targetMs)) {
      this.timers.delete(timer.timerId);
      this.queue.pop();
      this.currentMs = timer.dueMs;
      timer.fn();
      await this.settle();
    }
    this.currentMs = targetMs;
  }

  /**
   * Jumps from timer to timer until none is left, or until `maxMs` of virtual
   * time has passed (then time stops exactly there). A periodic timer never
   * lets the clock go idle, so `maxTimers` bounds the firings and throws
   * rather than spinning forever.
   */
  async runUntilIdle(options: { maxMs?: number; maxTimers?: number } = {}): Promise<void> {
    const deadlineMs = options.maxMs === undefined ? Infinity : this.currentMs + options.maxMs;
    const maxTimers = options.maxTimers ?? 100_000;
    await this.settle();
    for (let fired = 0; ; fired++) {
      const next = this.firstLive();
      if (!next || next.dueMs > deadlineMs) break;
      if (fired >= maxTimers)
        throw new Error(`VirtualClock.runUntilIdle: still busy after ${maxTimers} timers; pass maxMs to bound a periodic timer`);
      await this.advance(next.dueMs - this.currentMs);
    }
    if (deadlineMs !== Infinity) this.currentMs = Math.max(this.currentMs, deadlineMs);
  }

  /**
   * Runs virtual time as fast as possible (demos, long scenarios): whenever
   * the event loop has had a turn, jump to the next timer; with none left,
   * wait for one to be set. Returns the function that stops the run.
   */
  runFreely(): () => void {
    let running = true;
    const loop = async (): Promise<void> => {
      while (running) {
        const next = this.firstLive();
        if (next) await this.advance(next.dueMs - this.currentMs);
        else await new Promise<void>((resolve) => (this.wakeFreeRun = resolve));
        this.wakeFreeRun = undefined;
      }
    };
    void loop();
    return () => {
      running = false;
      this.wakeFreeRun?.();
    };
  }

  /** One event loop turn, then as long as held work is pending, its end and another turn (it may hold more). */
  private async settle(): Promise<void> {
    await nextTurn();
    while (this.held.size > 0) {
      await Promise.all(this.held);
      await nextTurn();
    }
  }

  private nextDue(limitMs: number): VirtualTimer | undefined {
    const first = this.firstLive();
    return first && first.dueMs <= limitMs ? first : undefined;
  }

  private firstLive(): VirtualTimer | undefined {
    for (let top = this.queue.peek(); top; top = this.queue.peek()) {
      if (this.timers.has(top.timerId)) return top;
      this.queue.pop();
    }
    return undefined;
  }
}

const earlierTimer = (a: VirtualTimer, b: VirtualTimer): number => a.dueMs - b.dueMs || a.timerId - b.timerId;

/** The last second rfc3339 spelled: the writes of one instant (dozens per object change) stamp the same second. */
let lastSecond = Number.NaN;
let lastSpelled = '';

/** Kubernetes' metav1.Time wire format: UTC, second precision ("2026-11-24T16:00:00Z"). */
export function rfc3339(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  // An invalid date (NaN) never equals the last second, so toISOString still throws its RangeError.
  if (second !== lastSecond) {
    lastSpelled = `${date.toISOString().slice(0, 19)}Z`;
    lastSecond = second;
  }
  return lastSpelled;
}

/** Kubernetes' metav1.MicroTime wire format ("2026-11-24T16:00:00.000000Z"), e.g. Lease renewTime, Event eventTime. */
export const rfc3339Micro = (date: Date): string => `${date.toISOString().slice(0, 23)}000Z`;
