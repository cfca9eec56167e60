/**
 * client-go's EventCorrelator (tools/record/events_cache.go), on the Clock:
 * what a component's event recorder does with an event before it reaches the
 * API server.
 * - The same event again (same source, object, type, reason, message) is a
 *   patch of count and lastTimestamp on the Event written first.
 * - Ten events within ten minutes that differ only by message (same source,
 *   object, type, reason) become one Event "(combined from similar events): …",
 *   counted from then on.
 * - A source may write 25 events about one object, then one every 5 minutes
 *   (a token bucket per source and object); the rest are dropped.
 * Every table is an LRU of 4096 entries, as in client-go. The spam and
 * aggregation tables also drop, in amortized sweeps, entries that are back at
 * the state of a missing entry (a token bucket refilled to its burst, a group
 * whose ten minutes have passed): that changes nothing a later event sees, and
 * keeps them to what the recent events need instead of filling to 4096 with
 * history (27 recorders share this process; in a cluster each is a process).
 * The one difference from client-go: since dropped entries no longer take LRU
 * slots, a recorder that touches more than 4096 keys within those windows
 * forgets a live entry later than client-go would.
 * The count table keeps every entry until the LRU forgets it: a repeat of an
 * Event that has expired or been deleted is created again with its name and
 * count (recordToSink), so no entry of it is ever the same as a missing one.
 */
import type { Clock } from './clock.js';

export interface CoreEventSource {
  component: string;
  host?: string;
}

export interface CoreObjectReference {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  apiVersion: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** The fields of a core/v1 Event the correlator reads and writes. */
export interface CoreEvent {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  involvedObject: CoreObjectReference;
  reason: string;
  message: string;
  source: CoreEventSource;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: string;
  reportingComponent?: string;
  reportingInstance?: string;
  /** The events.k8s.io time, zero (null on the wire) in the Events of client-go's core/v1 recorder. */
  eventTime?: string | null;
}

/** The fields client-go's strategic merge patch of a repeated event carries. */
export interface EventRepeatPatch {
  count: number;
  lastTimestamp: string;
  message: string;
}

export type CorrelationResult = { skip: true } | { skip: false; event: CoreEvent; patch?: EventRepeatPatch };

export const MAX_LRU_CACHE_ENTRIES = 4096;
export const AGGREGATE_MAX_EVENTS = 10;
export const AGGREGATE_INTERVAL_MS = 600_000;
export const SPAM_BURST = 25;
export const SPAM_QPS = 1 / 300;
export const COMBINED_MESSAGE_PREFIX = '(combined from similar events): ';

// client-go joins the fields with "" (no separator); the keys here are the same strings, an absent field empty.

/** The source's part of every key (client-go's keys begin with it). */
const sourcePart = (source: CoreEventSource): string => `${source.component}${source.host ?? ''}`;

/** The object without its fieldPath, as the spam and aggregation keys spell it. */
const objectPart = ({ involvedObject: o }: CoreEvent): string => `${o.kind}${o.namespace ?? ''}${o.name}${o.uid ?? ''}${o.apiVersion}`;

/** getEventKey without its source: object (with fieldPath), type, reason and message. */
function eventKeyInSource(event: CoreEvent): string {
  const o = event.involvedObject;
  const object = `${o.kind}${o.namespace ?? ''}${o.name}${o.fieldPath ?? ''}${o.uid ?? ''}${o.apiVersion}`;
  return `${object}${event.type}${event.reason}${event.message}`;
}

/** getSpamKey without its source: the object. */
const spamKeyInSource = objectPart;

/** EventAggregatorByReasonFunc without the source: [the key of the group of similar events, this event's key within it]. */
function aggregatorKeysInSource(event: CoreEvent): [aggregateKey: string, localKey: string] {
  const aggregate = `${objectPart(event)}${event.type}${event.reason}`;
  return [`${aggregate}${event.reportingComponent ?? ''}${event.reportingInstance ?? ''}`, event.message];
}

/** getEventKey: source, object (with fieldPath), type, reason and message. */
export const eventKey = (event: CoreEvent): string => sourcePart(event.source) + eventKeyInSource(event);

/** getSpamKey: source and object. */
export const spamKey = (event: CoreEvent): string => sourcePart(event.source) + spamKeyInSource(event);

/** EventAggregatorByReasonFunc: [the key of the group of similar events, the key of this event within it (its message)]. */
export function aggregatorKeys(event: CoreEvent): [aggregateKey: string, localKey: string] {
  const [aggregate, local] = aggregatorKeysInSource(event);
  return [sourcePart(event.source) + aggregate, local];
}

/** Entries added between two sweeps: at least the size left by the previous one, so a sweep costs O(1) per added entry. */
const MIN_ADDS_BETWEEN_SWEEPS = 256;

/**
 * A Map that forgets its least recently used entry beyond `capacity` (groupcache's lru.Cache) and, given `isDefault`,
 * the entries that are the same as a missing one by now.
 */
class LruCache<V> {
  private readonly entries = new Map<string, V>();
  /**
   * One iterator over the keys while the cache is full, always at or before the oldest entry (entries only join at
   * the end): a fresh iterator per eviction would walk past every slot deleted since the Map last compacted (each
   * move to the front leaves one), thousands per eviction in a full cache. It is made on the first eviction and
   * dropped by a sweep, not kept for the cache's life: V8 keeps every hash table a Map has outgrown or compacted away
   * alive for as long as an iterator over it has not moved on, so an idle one held them all (about 2.8 KiB per VM in
   * bench/vm-scale.mjs, from the caches that never fill).
   */
  private oldest: MapIterator<string> | undefined;
  private addsUntilSweep = MIN_ADDS_BETWEEN_SWEEPS;

  constructor(
    private readonly capacity: number,
    private readonly isDefault?: (value: V) => boolean,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The entry, without making it the most recent: every read here is followed at once by an add of the same key,
   * which does (groupcache's Get and Add both move the entry to the front).
   */
  peek(key: string): V | undefined {
    return this.entries.get(key);
  }

  add(key: string, value: V): void {
    const isNew = !this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      this.oldest ??= this.entries.keys();
      this.entries.delete(this.oldest.next().value as string);
    }
    if (isNew && this.isDefault && --this.addsUntilSweep <= 0) this.sweep(this.isDefault);
  }

  private sweep(isDefault: (value: V) => boolean): void {
    for (const [key, value] of this.entries) if (isDefault(value)) this.entries.delete(key);
    // The cache may now be below its capacity, where the iterator would not move on again.
    this.oldest = undefined;
    this.addsUntilSweep = Math.max(MIN_ADDS_BETWEEN_SWEEPS, this.entries.size);
  }
}

/** A token bucket that never waits (flowcontrol's passive token bucket): full at first, refilled at `qps`. */
class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.lastMs = clock.nowMs();
  }

  /** Refilled to its burst by now: the same as a new bucket. */
  isFull(): boolean {
    return this.refilled(this.clock.nowMs()) === this.burst;
  }

  tryAccept(): boolean {
    const now = this.clock.nowMs();
    this.tokens = this.refilled(now);
    this.lastMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refilled(nowMs: number): number {
    return Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) / 1000) * this.qps);
  }
}

interface AggregateRecord {
  /** Messages seen in the group, oldest first: most groups see one message only, held without a Set (about 200 bytes less). */
  localKeys: string | Set<string>;
  lastMs: number;
}

/** The group with `localKey` among its messages; the number of messages it then has. */
function addLocalKey(record: AggregateRecord, localKey: string): number {
  const keys = record.localKeys;
  if (typeof keys === 'string') {
    if (keys === localKey) return 1;
    record.localKeys = new Set([keys, localKey]);
    return 2;
  }
  keys.add(localKey);
  return keys.size;
}

interface Observation {
  count: number;
  firstTimestamp: string;
  name: string;
  resourceVersion?: string;
}

export class EventCorrelator {
  private readonly spam = new LruCache<TokenBucket>(MAX_LRU_CACHE_ENTRIES, (bucket) => bucket.isFull());
  private readonly aggregates = new LruCache<AggregateRecord>(MAX_LRU_CACHE_ENTRIES, (record) => this.windowPassed(record));
  private readonly observations = new LruCache<Observation>(MAX_LRU_CACHE_ENTRIES);
  /**
   * The source of every event this correlator sees: it serves one recorder, so its tables key events without it (every
   * client-go key begins with the source: one prefix on all of them changes no comparison, and costs ~30 bytes a key).
   */
  private source: string | undefined;

  constructor(
    private readonly clock: Clock,
    /** Names a new Event (client-go: "<object>.<UnixNano in hex>"). */
    private readonly newName: (event: CoreEvent) => string,
    /** Timestamps as Events carry them. */
    private readonly timestamp: (ms: number) => string,
  ) {}

  /** EventCorrelate: aggregate, then count, then filter spam (a dropped event still counts, as in client-go). */
  correlate(event: CoreEvent): CorrelationResult {
    const [aggregated, key] = this.aggregate(event);
    const observed = this.observe(aggregated, key);
    if (!this.spamAccepts(observed.event)) return { skip: true };
    return { skip: false, ...observed };
  }

  /** How many entries each table holds (the spam filter's buckets, the aggregation groups, the counted events). */
  cacheSizes(): { spam: number; aggregates: number; observations: number } {
    return { spam: this.spam.size, aggregates: this.aggregates.size, observations: this.observations.size };
  }

  /** UpdateState: remembers the Event as the server returned it (its name and resourceVersion) under its own key. */
  updateState(event: CoreEvent): void {
    this.observations.add(this.keyInSource(event, eventKeyInSource), {
      count: event.count,
      firstTimestamp: event.firstTimestamp,
      name: event.metadata.name,
      resourceVersion: event.metadata.resourceVersion,
    });
  }

  /** `key(event)`, after checking that the event comes from the correlator's one source. */
  private keyInSource<K>(event: CoreEvent, key: (event: CoreEvent) => K): K {
    const source = sourcePart(event.source);
    this.source ??= source;
    if (source !== this.source) throw new Error(`an event correlator serves one source (${this.source}), not ${source}`);
    return key(event);
  }

  private aggregate(event: CoreEvent): [CoreEvent, string] {
    const nowMs = this.clock.nowMs();
    const [aggregateKey, localKey] = this.keyInSource(event, aggregatorKeysInSource);
    let record = this.aggregates.peek(aggregateKey);
    if (!record || this.windowPassed(record)) record = { localKeys: localKey, lastMs: nowMs };
    const messages = addLocalKey(record, localKey);
    record.lastMs = nowMs;
    this.aggregates.add(aggregateKey, record);
    if (messages < AGGREGATE_MAX_EVENTS) return [event, eventKeyInSource(event)];
    // client-go drops an arbitrary message (PopAny) to stay at the limit; the oldest here, so runs repeat.
    const keys = record.localKeys as Set<string>;
    keys.delete(keys.values().next().value as string);
    const now = this.timestamp(nowMs);
    const combined: CoreEvent = {
      metadata: { name: this.newName(event), namespace: event.metadata.namespace },
      involvedObject: event.involvedObject,
      reason: event.reason,
      message: COMBINED_MESSAGE_PREFIX + event.message,
      source: event.source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: event.type,
    };
    return [combined, aggregateKey];
  }

  /** A similar event now starts a new group, as it does when there is no record. */
  private windowPassed(record: AggregateRecord): boolean {
    return this.clock.nowMs() - record.lastMs > AGGREGATE_INTERVAL_MS;
  }

  private observe(event: CoreEvent, key: string): { event: CoreEvent; patch?: EventRepeatPatch } {
    const last = this.observations.peek(key);
    let observed = event;
    let patch: EventRepeatPatch | undefined;
    if (last && last.count > 0) {
      observed = {
        ...event,
        metadata: { ...event.metadata, name: last.name, resourceVersion: last.resourceVersion },
        firstTimestamp: last.firstTimestamp,
        count: last.count + 1,
      };
      patch = { count: observed.count, lastTimestamp: observed.lastTimestamp, message: observed.message };
    }
    this.observations.add(key, {
      count: observed.count,
      firstTimestamp: observed.firstTimestamp,
      name: observed.metadata.name,
      resourceVersion: observed.metadata.resourceVersion,
    });
    return patch ? { event: observed, patch } : { event: observed };
  }

  private spamAccepts(event: CoreEvent): boolean {
    const key = this.keyInSource(event, spamKeyInSource);
    let bucket = this.spam.peek(key);
    if (!bucket) bucket = new TokenBucket(SPAM_QPS, SPAM_BURST, this.clock);
    const accepted = bucket.tryAccept();
    this.spam.add(key, bucket);
    return accepted;
  }
}
