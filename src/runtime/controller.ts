/**
 * A controller after controller-runtime: informers turn changes into keys,
 * a work queue hands each key to one of N workers, and reconcile(key) makes
 * the world match the desired state for that key. Level-triggered: reconcile
 * reads the current state itself, so it does not matter how many changes one
 * key collected while it waited. Errors retry with per-key back-off.
 */
import type { KubeObject } from '../api/types.js';
import type { Clock } from './clock.js';
import type { Component } from './component.js';
import { objectKey, type EventSource, type HandlerRegistration } from './informer.js';
import { silentLogger, type Logger } from './logger.js';
import { type ExponentialBackoff, WorkQueue } from './workqueue.js';

/** Nothing, or a request to look at the key again after a while even if nothing changes. */
// biome-ignore lint/suspicious/noConfusingVoidType: `void` lets a reconciler that returns nothing (Promise<void>) type-check
export type ReconcileResult = void | { requeueAfterMs: number };

export interface ControllerOptions {
  name: string;
  clock: Clock;
  reconcile: (key: string) => Promise<ReconcileResult>;
  workers?: number;
  logger?: Logger;
  /** Back-off for failed keys; client-go's default item limiter (5 ms doubling to 1000 s) unless given. */
  newBackoff?: () => ExponentialBackoff;
}

/** Maps a changed object to the keys it concerns, e.g. a pod to its owner's key; none to ignore it. */
export type KeyMapper<T> = (obj: T) => string[];

/**
 * Maps one change to the keys it concerns, seeing both states: `old` is
 * undefined for an add, `cur` for a delete. For a source whose changes
 * matter only when some property of the object changes (a node's labels
 * for the DaemonSets that select it).
 */
export type ChangeKeyMapper<T> = (old: T | undefined, cur: T | undefined) => Iterable<string>;

interface WatchSource {
  informer: EventSource;
  keysOfChange: ChangeKeyMapper<KubeObject>;
}

/** Reconciles (of every controller) run since the event loop last had a turn taken for it. */
let reconcilesSinceYield = 0;
const RECONCILES_PER_YIELD = 64;

/**
 * In-process writes and informer events settle as microtasks, so controllers that keep feeding each other (a pool
 * replacing a VM that fails at once on the instant profile, again and again) would never let the event loop reach
 * the server's sockets: every so many reconciles, process-wide, the workers wait one turn of the event loop.
 */
async function yieldToIoNowAndThen(): Promise<void> {
  if (++reconcilesSinceYield < RECONCILES_PER_YIELD) return;
  reconcilesSinceYield = 0;
  await new Promise<void>((resolve) => setImmediate(resolve));
}

export class Controller implements Component {
  readonly name: string;
  private readonly sources: WatchSource[] = [];
  private readonly logger: Logger;
  private queue: WorkQueue | undefined;
  private registrations: HandlerRegistration[] = [];
  /** Waiting for sync, then the workers; settles once stopped and drained. */
  private running: Promise<void> = Promise.resolve();
  private signalStop: () => void = () => {};

  constructor(private readonly options: ControllerOptions) {
    this.name = options.name;
    this.logger = options.logger ?? silentLogger;
  }

  /** Reconciles the keys `keysOf` maps each added, updated or deleted object to (by default its own key). */
  watch<T extends KubeObject>(informer: EventSource<T>, keysOf: KeyMapper<T> = (obj) => [objectKey(obj)]): this {
    // An update enqueues the keys of the old state too: a pod that changed owner concerns both owners.
    return this.watchChanges(informer, (old, cur) => [...(old ? keysOf(old) : []), ...(cur ? keysOf(cur) : [])]);
  }

  /** Reconciles the keys `keysOfChange` maps each add, update or delete to, given the states before and after. */
  watchChanges<T extends KubeObject>(informer: EventSource<T>, keysOfChange: ChangeKeyMapper<T>): this {
    // The informer hands its handlers only T objects, so the mapper only ever sees T.
    const source = { informer, keysOfChange: keysOfChange as ChangeKeyMapper<KubeObject> };
    this.sources.push(source);
    // A source added while running (a kind discovered later) is connected at once; its cached objects arrive as adds.
    if (this.queue) this.registrations.push(this.connect(this.queue, source));
    return this;
  }

  /** Queues `key` for reconciling; ignored while the controller is stopped. */
  enqueue(key: string): void {
    this.queue?.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue?.addAfter(key, ms);
  }

  /**
   * Connects the informers and returns; the workers start once every
   * informer has synced. Each start gets a fresh queue, so a controller
   * stopped by a Gate can run again.
   */
  async start(): Promise<void> {
    if (this.queue) return;
    const queue = new WorkQueue(this.options.clock, this.options.newBackoff?.());
    this.queue = queue;
    this.registrations = this.sources.map((source) => this.connect(queue, source));
    const stopped = new Promise<false>((resolve) => (this.signalStop = () => resolve(false)));
    this.running = this.run(queue, stopped);
  }

  private connect(queue: WorkQueue, { informer, keysOfChange }: WatchSource): HandlerRegistration {
    const enqueue = (old: KubeObject | undefined, cur: KubeObject | undefined): void => {
      for (const key of new Set(keysOfChange(old, cur))) queue.add(key);
    };
    return informer.addEventHandler({
      onAdd: (obj) => enqueue(undefined, obj),
      onUpdate: (old, cur) => enqueue(old, cur),
      onDelete: (obj) => enqueue(obj, undefined),
    });
  }

  /** Stops taking keys and waits for the reconciles in progress to finish. */
  async stop(): Promise<void> {
    for (const registration of this.registrations.splice(0)) registration.remove();
    this.queue?.shutDown();
    this.queue = undefined;
    this.signalStop();
    await this.running;
  }

  private async run(queue: WorkQueue, stopped: Promise<false>): Promise<void> {
    const allSynced = Promise.all(this.sources.map(({ informer }) => informer.waitForSync())).then((results) => results.every(Boolean));
    if (!(await Promise.race([allSynced, stopped]))) return;
    await Promise.all(Array.from({ length: this.options.workers ?? 1 }, () => this.work(queue)));
  }

  private async work(queue: WorkQueue): Promise<void> {
    for (let key = await queue.get(); key !== undefined && !queue.isShuttingDown; key = await queue.get()) {
      await this.process(queue, key);
      await yieldToIoNowAndThen();
    }
  }

  private async process(queue: WorkQueue, key: string): Promise<void> {
    try {
      const result = await this.options.reconcile(key);
      queue.forget(key);
      if (result) queue.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      this.logger.error(`${this.name}: reconcile of "${key}" failed (retry ${queue.retries(key) + 1})`, err);
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}
