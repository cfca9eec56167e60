/**
 * A local, always-current view of one kind of object, after client-go's
 * shared informer: list, then watch from the list's resourceVersion, keep the
 * objects in a cache, and tell handlers about each change. When the watch
 * ends it resumes from the last resourceVersion seen; when the server says
 * that version is gone (410) it lists again and reports the difference.
 */
import type { Subscription } from 'rxjs';
import type { KubeObject, WatchEvent } from '../api/types.js';
import type { Client, KindRef } from '../client/client.js';
import type { Clock, TimerHandle } from './clock.js';
import { deepFreeze } from './deep-freeze.js';
import { errorText, silentLogger, type Logger } from './logger.js';

/** Which objects of the kind an informer sees. */
export interface InformerScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface HandlerRegistration {
  remove(): void;
}

/**
 * The part of an informer a listener needs, whatever the object type: lets
 * a Gate or Controller take an Informer<Pod> and an Informer<Node> alike.
 */
export interface EventSource<T extends KubeObject = KubeObject> {
  addEventHandler(handlers: EventHandlers<T>): HandlerRegistration;
  waitForSync(): Promise<boolean>;
}

/** Values under which an object is indexed, e.g. a pod's spec.nodeName. */
export type IndexFunc<T> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'namespace';

/** The cache key client-go uses: "namespace/name", or "name" for cluster-scoped objects. */
export const objectKey = (obj: KubeObject): string =>
  obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export interface InformerOptions {
  clock: Clock;
  logger?: Logger;
  /** Wait after a failed list or watch before listing again. */
  retryMs?: number;
}

type WatchOutcome = 'completed' | 'expired' | 'failed' | 'stopped';

const sameValues = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((value, i) => value === b[i]);

/** A 410 as a thrown StatusError (in-process client) or as the Status of an ERROR watch event (HTTP). */
const isGone = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 410;

class Index<T> {
  /** Keys by index value; a value with one key (most: an owner's uid names one object) holds it without a Set. */
  private readonly keysByValue = new Map<string, string | Set<string>>();

  constructor(
    private readonly indexFunc: IndexFunc<T>,
    private readonly onError: (key: string, err: unknown) => void,
  ) {}

  add(key: string, obj: T): void {
    this.addValues(key, this.valuesOf(key, obj));
  }

  remove(key: string, obj: T): void {
    this.removeValues(key, this.valuesOf(key, obj));
  }

  /**
   * Moves `key` from the values of `old` to those of `cur`. Most updates leave them as they were (a pod keeps its
   * node, an object its namespace): then the index is left alone, as client-go's updateIndices does.
   */
  update(key: string, old: T, cur: T): void {
    const before = this.valuesOf(key, old);
    const after = this.valuesOf(key, cur);
    if (sameValues(before, after)) return;
    this.removeValues(key, before);
    this.addValues(key, after);
  }

  private addValues(key: string, values: readonly string[]): void {
    for (const value of values) {
      const keys = this.keysByValue.get(value);
      if (keys === undefined) this.keysByValue.set(value, key);
      else if (typeof keys !== 'string') keys.add(key);
      else if (keys !== key) this.keysByValue.set(value, new Set([keys, key]));
    }
  }

  private removeValues(key: string, values: readonly string[]): void {
    for (const value of values) {
      const keys = this.keysByValue.get(value);
      if (typeof keys === 'string') {
        if (keys === key) this.keysByValue.delete(value);
      } else if (keys?.delete(key) && keys.size === 0) this.keysByValue.delete(value);
    }
  }

  keys(value: string): Iterable<string> {
    const keys = this.keysByValue.get(value);
    return keys === undefined ? [] : typeof keys === 'string' ? [keys] : keys;
  }

  values(): Iterable<string> {
    return this.keysByValue.keys();
  }

  count(value: string): number {
    const keys = this.keysByValue.get(value);
    return keys === undefined ? 0 : typeof keys === 'string' ? 1 : keys.size;
  }

  /** An object the index function cannot read (a client may store odd objects) is not indexed; the failure is logged. */
  private valuesOf(key: string, obj: T): string[] {
    try {
      return this.indexFunc(obj);
    } catch (err) {
      this.onError(key, err);
      return [];
    }
  }
}

export class Informer<T extends KubeObject = KubeObject> implements EventSource<T> {
  private readonly cache = new Map<string, T>();
  private readonly indices = new Map<string, Index<T>>();
  private readonly handlers = new Set<EventHandlers<T>>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly retryMs: number;
  private synced = false;
  private started = false;
  private stopped = false;
  private syncWaiters: Array<(synced: boolean) => void> = [];
  private lastResourceVersion: string | undefined;
  /**
   * How many cached objects list() and byIndex() have handed out: what a reconcile reads, counted so a test can tell
   * a controller whose work per change grows with the cluster from one that reads only what the change concerns.
   */
  objectsRead = 0;
  /** Ends whatever the run loop is waiting on (a watch or a retry pause) when the informer stops. */
  private interrupt: (() => void) | undefined;

  constructor(
    private readonly client: Client,
    readonly ref: KindRef,
    readonly scope: InformerScope,
    options: InformerOptions,
  ) {
    this.clock = options.clock;
    this.logger = options.logger ?? silentLogger;
    this.retryMs = options.retryMs ?? 1000;
    this.addIndexer(NAMESPACE_INDEX, (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []));
  }

  /** Starts listing and watching in the background; returns at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.run();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.interrupt?.();
    for (const waiter of this.syncWaiters.splice(0)) waiter(false);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once the first list is in the cache, false if the informer stops before. */
  waitForSync(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Registers handlers; objects already cached are replayed to onAdd, as client-go does for late handlers. */
  addEventHandler(handlers: EventHandlers<T>): HandlerRegistration {
    this.handlers.add(handlers);
    for (const obj of this.cache.values()) this.notify(handlers, 'onAdd', obj);
    return { remove: () => this.handlers.delete(handlers) };
  }

  addIndexer(name: string, indexFunc: IndexFunc<T>): void {
    if (this.indices.has(name)) throw new Error(`informer for ${this.ref.kind}: index "${name}" already exists`);
    const index = new Index(indexFunc, (key, err) => this.logger.error(`${this.ref.kind} index "${name}" failed on ${key}`, err));
    for (const [key, obj] of this.cache) index.add(key, obj);
    this.indices.set(name, index);
  }

  /** Adds the index unless the informer has one by that name: shared informers are indexed by whichever component asks first. */
  ensureIndexer(name: string, indexFunc: IndexFunc<T>): this {
    if (!this.indices.has(name)) this.addIndexer(name, indexFunc);
    return this;
  }

  list(): T[] {
    this.objectsRead += this.cache.size;
    return [...this.cache.values()];
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.index(indexName);
    const objects = [...index.keys(value)].map((key) => this.cache.get(key)).filter((obj): obj is T => obj !== undefined);
    this.objectsRead += objects.length;
    return objects;
  }

  /** The values the index holds objects under (e.g. the launcher images in use), without reading the objects. */
  indexValues(indexName: string): string[] {
    return [...this.index(indexName).values()];
  }

  /** How many objects the index holds under `value`, without reading them. */
  countByIndex(indexName: string, value: string): number {
    return this.index(indexName).count(value);
  }

  listByNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  private index(indexName: string): Index<T> {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`informer for ${this.ref.kind}: no index "${indexName}"`);
    return index;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.relist();
      } catch (err) {
        this.logger.error(`failed to list ${this.ref.kind}`, err);
        await this.pause(this.retryMs);
        continue;
      }
      let outcome: WatchOutcome;
      do outcome = await this.watchOnce();
      while (outcome === 'completed' && !this.stopped);
      if (outcome === 'failed') await this.pause(this.retryMs);
    }
  }

  private async relist(): Promise<void> {
    const list = await this.client.list<T>(this.ref, this.scope);
    if (this.stopped) return;
    const fresh = new Map(list.items.map((obj) => [objectKey(obj), deepFreeze(obj)] as const));
    for (const [key, old] of this.cache) if (!fresh.has(key)) this.remove(key, old);
    for (const [key, obj] of fresh) this.upsert(key, obj);
    this.lastResourceVersion = list.metadata.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters.splice(0)) waiter(true);
    }
  }

  /** Watches from the last resourceVersion until the stream ends, breaks, or the informer stops. */
  private watchOnce(): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      let subscription: Subscription | undefined;
      let finished = false;
      const finish = (outcome: WatchOutcome): void => {
        if (finished) return;
        finished = true;
        this.interrupt = undefined;
        subscription?.unsubscribe();
        resolve(outcome);
      };
      this.interrupt = () => finish('stopped');
      const options = { ...this.scope, resourceVersion: this.lastResourceVersion, allowWatchBookmarks: true };
      subscription = this.client.watch<T>(this.ref, options).subscribe({
        next: (event) => {
          if (finished) return;
          // Nothing thrown here may reach rxjs, which would rethrow it as an uncaught exception.
          let failure: WatchOutcome | undefined;
          try {
            failure = this.apply(event);
          } catch (err) {
            this.logger.error(`${this.ref.kind} watch event could not be applied`, err);
          }
          if (failure) finish(failure);
        },
        error: (err: unknown) => {
          if (!isGone(err)) this.logger.error(`watch of ${this.ref.kind} failed`, err);
          finish(isGone(err) ? 'expired' : 'failed');
        },
        complete: () => finish('completed'),
      });
      // The stream may have ended synchronously, before `subscription` was assigned.
      if (finished) subscription.unsubscribe();
    });
  }

  /** Applies one watch event to the cache; answers how the watch broke, if the event says it did. */
  private apply(event: WatchEvent<T>): WatchOutcome | undefined {
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { message?: string };
      if (isGone(status)) return 'expired';
      this.logger.error(`watch of ${this.ref.kind} failed: ${status.message ?? errorText(status)}`);
      return 'failed';
    }
    const obj = deepFreeze(event.object);
    if (event.type === 'ADDED' || event.type === 'MODIFIED') this.upsert(objectKey(obj), obj);
    else if (event.type === 'DELETED') this.remove(objectKey(obj), obj);
    this.lastResourceVersion = obj.metadata.resourceVersion ?? this.lastResourceVersion;
    return undefined;
  }

  /** Stores `obj`; an object whose resourceVersion is already cached (seen again in a re-list) is no news. */
  private upsert(key: string, obj: T): void {
    const old = this.cache.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    this.cache.set(key, obj);
    if (old) {
      for (const index of this.indices.values()) index.update(key, old, obj);
      this.notifyAll('onUpdate', old, obj);
    } else {
      for (const index of this.indices.values()) index.add(key, obj);
      this.notifyAll('onAdd', obj);
    }
  }

  /** Drops `key`; `obj` is the final state from the event, or the last cached one when a re-list finds it gone. */
  private remove(key: string, obj: T): void {
    const old = this.cache.get(key);
    if (!old) return;
    this.cache.delete(key);
    for (const index of this.indices.values()) index.remove(key, old);
    this.notifyAll('onDelete', obj);
  }

  /** Tells every handler; `obj` is the new state for onUpdate, whose old state is `first`. */
  private notifyAll(what: keyof EventHandlers<T>, first: T, obj?: T): void {
    for (const handlers of this.handlers) this.notify(handlers, what, first, obj);
  }

  /** A failing handler is logged and must not break the informer or the other handlers. */
  private notify(handlers: EventHandlers<T>, what: keyof EventHandlers<T>, first: T, obj?: T): void {
    try {
      if (what === 'onUpdate') handlers.onUpdate?.(first, obj!);
      else handlers[what]?.(first);
    } catch (err) {
      this.logger.error(`${this.ref.kind} ${what} handler failed`, err);
    }
  }

  /** Waits on the clock, cut short by stop(). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const wake = (): void => {
        if (timer) this.clock.clearTimeout(timer);
        this.interrupt = undefined;
        resolve();
      };
      this.interrupt = wake;
      timer = this.clock.setTimeout(wake, ms);
    });
  }
}

/** Shares one informer per (kind, scope) among all components of a process. */
export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    private readonly client: Client,
    private readonly options: InformerOptions,
  ) {}

  /** The informer for this kind and scope, created on first request; started at once if the factory runs. */
  informerFor<T extends KubeObject = KubeObject>(ref: KindRef, scope: InformerScope = {}): Informer<T> {
    const key = JSON.stringify([ref.apiVersion, ref.kind, scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? '']);
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer(this.client, ref, scope, this.options);
      this.informers.set(key, informer);
      if (this.started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Every kind some component watches (once per kind, whatever the scopes). */
  kinds(): KindRef[] {
    const refs = [...this.informers.values()].map((informer) => informer.ref);
    return [...new Map(refs.map((ref) => [`${ref.apiVersion}/${ref.kind}`, ref])).values()];
  }

  /** The objects every informer of the factory has handed out through list() and byIndex() (see Informer.objectsRead). */
  objectsRead(): number {
    let total = 0;
    for (const informer of this.informers.values()) total += informer.objectsRead;
    return total;
  }

  /** Resolves true when every informer created so far has synced. */
  async waitForSync(): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((informer) => informer.waitForSync()));
    return results.every(Boolean);
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
    this.informers.clear();
    this.started = false;
  }
}
