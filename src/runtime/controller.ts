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
  /** Queues the keys one change concerns, each once. */
  enqueueChange: (queue: WorkQueue, old: KubeObject | undefined, cur: KubeObject | undefined) => void;
}

const NO_KEYS: readonly string[] = [];

/**
 * Adds each key once: a key added twice may be handed to a waiting worker in between, and the second add would then
 * mark it for another reconcile. The common change (one key before and after, most often the same) builds no set.
 */
function enqueueOnce(queue: WorkQueue, before: readonly string[], after: readonly string[]): void {
  if (before.length > 1 || after.length > 1) {
    for (const key of new Set([...before, ...after])) queue.add(key);
    return;
  }
  if (before.length === 1) queue.add(before[0]);
  if (after.length === 1 && after[0] !== before[0]) queue.add(after[0]);
}

/** Reconciles (of every controller) run since the event loop last had a turn taken for it. */
let reconcilesSinceYield = 0;
const RECONCILES_PER_YIELD = 64;

/**
 * In-process writes and informer events settle as microtasks, so controllers that keep feeding each other (a pool
 * replacing a VM that fails at once on the instant profile, again and again) would never let the event loop reach
 * the server's sockets: every so many reconciles, process-wide, the workers wait one turn of the event loop.
 * Undefined (nothing to await, no promise made) on the other reconciles.
 */
function yieldToIoNowAndThen(): Promise<void> | undefined {
  if (++reconcilesSinceYield < RECONCILES_PER_YIELD) return undefined;
  reconcilesSinceYield = 0;
  return new Promise<void>((resolve) => setImmediate(resolve));
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
  watch<T extends KubeObject>(informer: EventSource<T>, keysOf?: KeyMapper<T>): this {
    // Both states of an update are under one key in the informer's cache: its own key, once.
    if (!keysOf) return this.addSource({ informer, enqueueChange: (queue, old, cur) => queue.add(objectKey((cur ?? old)!)) });
    // An update enqueues the keys of the old state too: a pod that changed owner concerns both owners.
    // The informer hands its handlers only T objects, so the mapper only ever sees T.
    const keysOfT = keysOf as KeyMapper<KubeObject>;
    return this.addSource({
      informer,
      enqueueChange: (queue, old, cur) => enqueueOnce(queue, old ? keysOfT(old) : NO_KEYS, cur ? keysOfT(cur) : NO_KEYS),
    });
  }

  /** Reconciles the keys `keysOfChange` maps each add, update or delete to, given the states before and after. */
  watchChanges<T extends KubeObject>(informer: EventSource<T>, keysOfChange: ChangeKeyMapper<T>): this {
    const keysOfKubeChange = keysOfChange as ChangeKeyMapper<KubeObject>;
    return this.addSource({
      informer,
      enqueueChange: (queue, old, cur) => {
        for (const key of new Set(keysOfKubeChange(old, cur))) queue.add(key);
      },
    });
  }

  private addSource(source: WatchSource): this {
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

  private connect(queue: WorkQueue, { informer, enqueueChange }: WatchSource): HandlerRegistration {
    return informer.addEventHandler({
      onAdd: (obj) => enqueueChange(queue, undefined, obj),
      onUpdate: (old, cur) => enqueueChange(queue, old, cur),
      onDelete: (obj) => enqueueChange(queue, obj, undefined),
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
      const turn = yieldToIoNowAndThen();
      if (turn) await turn;
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
