/**
 * core/v1 Events written as client-go's event recorder writes them, so that
 * `kubectl describe` and `kubectl get events` show what they show on a real
 * cluster. An event identical to an earlier one (same object, type, reason,
 * message) bumps that Event's count and lastTimestamp instead of adding a new
 * object: the aggregation of client-go's EventCorrelator, without its
 * similar-message folding and spam filter.
 */
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/client.js';
import { rfc3339, type Clock } from './clock.js';
import { silentLogger, type Logger } from './logger.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  component: string;
  /** The node, for node agents such as kubelet and virt-handler. */
  host?: string;
}

export interface ObjectReference {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  apiVersion: string;
  resourceVersion?: string;
}

const EVENT_REF = { apiVersion: 'v1', kind: 'Event' } as const;
/** client-go keeps this many recent events for aggregation (its LRU size). */
const MAX_REMEMBERED = 4096;

interface Remembered {
  namespace: string;
  name: string;
  count: number;
}

export const referenceTo = (obj: KubeObject): ObjectReference => {
  const ref: ObjectReference = { kind: obj.kind, name: obj.metadata.name ?? '', apiVersion: obj.apiVersion };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata.uid) ref.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
};

/**
 * Shared by every recorder of the process: two components writing about the
 * same object in the same millisecond must still get distinct names.
 */
const nameSuffixes = {
  lastMs: -1,
  sameMsCount: 0,
  next(ms: number): string {
    this.sameMsCount = ms === this.lastMs ? this.sameMsCount + 1 : 0;
    this.lastMs = ms;
    return (BigInt(ms) * 1_000_000n + BigInt(this.sameMsCount)).toString(16);
  },
};

export class EventRecorder {
  private readonly source: EventSource;
  private readonly logger: Logger;
  /** Recent events by aggregation key, oldest first (a Map keeps insertion order). */
  private readonly recent = new Map<string, Remembered>();
  /** Writes go one at a time, like client-go's single broadcaster goroutine, so a repeat sees the first write. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: Client,
    private readonly clock: Clock,
    source: EventSource,
    logger: Logger = silentLogger,
  ) {
    this.source = source;
    this.logger = logger;
  }

  /**
   * Records an event about `involvedObject`. Never throws: as in Kubernetes an
   * event is best effort, and a failed write is only logged. The promise
   * settles when the write has been done (useful to tests).
   */
  event(involvedObject: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const ref = referenceTo(involvedObject);
    this.writes = this.writes.then(() =>
      this.write(ref, type, reason, message).catch((err: unknown) =>
        this.logger.error(`unable to write event ${type} ${reason} for ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`, err),
      ),
    );
    return this.writes;
  }

  private async write(ref: ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    const key = JSON.stringify([this.source.component, this.source.host ?? '', ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', ref.apiVersion, type, reason, message]);
    const now = rfc3339(this.clock.now());
    const seen = this.recent.get(key);
    if (seen && (await this.bump(seen, now))) {
      this.remember(key, seen);
      return;
    }
    const created = await this.client.create(this.newEvent(ref, type, reason, message, now));
    this.remember(key, { namespace: created.metadata.namespace ?? '', name: created.metadata.name ?? '', count: 1 });
  }

  /** Counts one more occurrence on the existing Event; false when that Event is gone (expired or deleted). */
  private async bump(seen: Remembered, now: string): Promise<boolean> {
    try {
      await this.client.patch(EVENT_REF, seen.namespace, seen.name, 'strategic', { count: seen.count + 1, lastTimestamp: now });
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return false;
      throw err;
    }
    seen.count += 1;
    return true;
  }

  private remember(key: string, entry: Remembered): void {
    this.recent.delete(key);
    this.recent.set(key, entry);
    if (this.recent.size > MAX_REMEMBERED) this.recent.delete(this.recent.keys().next().value as string);
  }

  private newEvent(ref: ObjectReference, type: EventType, reason: string, message: string, now: string): KubeObject {
    const source: EventSource = { component: this.source.component };
    if (this.source.host) source.host = this.source.host;
    return {
      ...EVENT_REF,
      metadata: { name: `${ref.name}.${this.uniqueSuffix()}`, namespace: ref.namespace ?? 'default' },
      involvedObject: ref,
      reason,
      message,
      source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    };
  }

  /**
   * Kubernetes names events "<object>.<UnixNano in hex>". The clock has
   * millisecond resolution and virtual time may not move between events, so
   * events within one millisecond take the following nanoseconds.
   */
  private uniqueSuffix(): string {
    return nameSuffixes.next(this.clock.nowMs());
  }
}
