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
 * Every table is an LRU of 4096 entries, so a long run cannot grow it.
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

// client-go joins the fields with "" (no separator); the keys here are the same strings.
const join = (fields: Array<string | undefined>): string => fields.map((field) => field ?? '').join('');

/** getEventKey: source, object (with fieldPath), type, reason and message. */
export function eventKey(event: CoreEvent): string {
  const { source, involvedObject: o } = event;
  const object = [o.kind, o.namespace, o.name, o.fieldPath, o.uid, o.apiVersion];
  return join([source.component, source.host, ...object, event.type, event.reason, event.message]);
}

/** getSpamKey: source and object. */
export function spamKey(event: CoreEvent): string {
  const { source, involvedObject: o } = event;
  return join([source.component, source.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion]);
}

/** EventAggregatorByReasonFunc: [the key of the group of similar events, the key of this event within it (its message)]. */
export function aggregatorKeys(event: CoreEvent): [aggregateKey: string, localKey: string] {
  const { source, involvedObject: o } = event;
  const aggregate = join([source.component, source.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion, event.type, event.reason]);
  return [join([aggregate, event.reportingComponent, event.reportingInstance]), event.message];
}

/** A Map that forgets its least recently used entry beyond `capacity` (groupcache's lru.Cache). */
class LruCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) this.add(key, value);
    return value;
  }

  add(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
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

  tryAccept(): boolean {
    const now = this.clock.nowMs();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastMs) / 1000) * this.qps);
    this.lastMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface AggregateRecord {
  /** Messages seen in the group, oldest first. */
  localKeys: Set<string>;
  lastMs: number;
}

interface Observation {
  count: number;
  firstTimestamp: string;
  name: string;
  resourceVersion?: string;
}

export class EventCorrelator {
  private readonly spam = new LruCache<TokenBucket>(MAX_LRU_CACHE_ENTRIES);
  private readonly aggregates = new LruCache<AggregateRecord>(MAX_LRU_CACHE_ENTRIES);
  private readonly observations = new LruCache<Observation>(MAX_LRU_CACHE_ENTRIES);

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

  /** UpdateState: remembers the Event as the server returned it (its name and resourceVersion) under its own key. */
  updateState(event: CoreEvent): void {
    this.observations.add(eventKey(event), {
      count: event.count,
      firstTimestamp: event.firstTimestamp,
      name: event.metadata.name,
      resourceVersion: event.metadata.resourceVersion,
    });
  }

  private aggregate(event: CoreEvent): [CoreEvent, string] {
    const nowMs = this.clock.nowMs();
    const [aggregateKey, localKey] = aggregatorKeys(event);
    let record = this.aggregates.get(aggregateKey);
    if (!record || nowMs - record.lastMs > AGGREGATE_INTERVAL_MS) record = { localKeys: new Set(), lastMs: nowMs };
    record.localKeys.add(localKey);
    record.lastMs = nowMs;
    this.aggregates.add(aggregateKey, record);
    if (record.localKeys.size < AGGREGATE_MAX_EVENTS) return [event, eventKey(event)];
    // client-go drops an arbitrary message (PopAny) to stay at the limit; the oldest here, so runs repeat.
    record.localKeys.delete(record.localKeys.values().next().value as string);
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

  private observe(event: CoreEvent, key: string): { event: CoreEvent; patch?: EventRepeatPatch } {
    const last = this.observations.get(key);
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
    const key = spamKey(event);
    let bucket = this.spam.get(key);
    if (!bucket) bucket = new TokenBucket(SPAM_QPS, SPAM_BURST, this.clock);
    const accepted = bucket.tryAccept();
    this.spam.add(key, bucket);
    return accepted;
  }
}
