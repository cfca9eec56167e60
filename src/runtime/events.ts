/**
 * core/v1 Events written as client-go's event recorder writes them, so that
 * `kubectl describe` and `kubectl get events` show what they show on a real
 * cluster, and a long run does not write a new object for every repeat: each
 * event goes through client-go's EventCorrelator (counting, aggregation of
 * similar events, spam filter; see event-correlator.ts), then is created, or
 * patched when it repeats one written before (recordToSink).
 */
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/client.js';
import { rfc3339, type Clock } from './clock.js';
import {
  EventCorrelator,
  type CoreEvent,
  type CoreEventSource,
  type CoreObjectReference,
  type EventRepeatPatch,
} from './event-correlator.js';
import { silentLogger, type Logger } from './logger.js';

export type EventType = 'Normal' | 'Warning';
export type EventSource = CoreEventSource;
export type ObjectReference = CoreObjectReference;

const EVENT_REF = { apiVersion: 'v1', kind: 'Event' } as const;

/** client-go's reference.GetPartialReference: the object, and with `fieldPath` the part of it meant (a pod's container). */
export const referenceTo = (obj: KubeObject, fieldPath?: string): ObjectReference => {
  const ref: ObjectReference = { kind: obj.kind, name: obj.metadata.name ?? '', apiVersion: obj.apiVersion };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata.uid) ref.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  if (fieldPath) ref.fieldPath = fieldPath;
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

const isNotFound = (err: unknown): boolean => (err as { code?: unknown } | undefined)?.code === 404;

export class EventRecorder {
  private readonly source: EventSource;
  private readonly eventSource: Readonly<EventSource>;
  private readonly logger: Logger;
  private readonly correlator: EventCorrelator;
  /** Writes go one at a time, like client-go's single broadcaster goroutine, so a repeat sees the first write. */
  private writes: Promise<void> = Promise.resolve();
  /** The object of the last event, when frozen, and the references its Events got, by fieldPath ('' for none). */
  private lastInvolved?: { object: KubeObject; refs: Map<string, ObjectReference> };

  constructor(
    private readonly client: Client,
    private readonly clock: Clock,
    source: EventSource,
    logger: Logger = silentLogger,
  ) {
    this.source = source;
    // One frozen copy for every Event the recorder writes: the store keeps frozen subtrees as they are, so its Events share it.
    this.eventSource = Object.freeze(source.host ? { component: source.component, host: source.host } : { component: source.component });
    this.logger = logger;
    this.correlator = new EventCorrelator(
      clock,
      (event) => this.uniqueName(event.involvedObject.name),
      (ms) => rfc3339(new Date(ms)),
    );
  }

  /**
   * Records an event about `involvedObject`, or with `fieldPath` about that part of it (the kubelet's container Events
   * name the container: `spec.containers{compute}`). Never throws: as in Kubernetes an
   * event is best effort, and a failed write is only logged. The promise
   * settles when the write has been done (useful to tests).
   */
  event(involvedObject: KubeObject, type: EventType, reason: string, message: string, fieldPath = ''): Promise<void> {
    const ref = this.referenceTo(involvedObject, fieldPath);
    this.writes = this.writes.then(() =>
      this.record(this.newEvent(ref, type, reason, message)).catch((err: unknown) =>
        this.logger.error(`unable to write event ${type} ${reason} for ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`, err),
      ),
    );
    return this.writes;
  }

  /**
   * The reference to `obj` (and `fieldPath`), frozen, and the same one again while the recorder keeps writing about the
   * same version of the same object and part of it (a kubelet writes a dozen Events about one pod's containers in a
   * row): the store keeps frozen subtrees as they are, so those Events share it. Only a frozen (stored) version is
   * taken to stay what it is.
   */
  private referenceTo(obj: KubeObject, fieldPath: string): ObjectReference {
    const last = this.lastInvolved?.object === obj ? this.lastInvolved : undefined;
    const known = last?.refs.get(fieldPath);
    if (known) return known;
    const ref = Object.freeze(referenceTo(obj, fieldPath));
    if (last) last.refs.set(fieldPath, ref);
    else if (Object.isFrozen(obj) && Object.isFrozen(obj.metadata)) this.lastInvolved = { object: obj, refs: new Map([[fieldPath, ref]]) };
    return ref;
  }

  /** recordToSink: correlate, then patch a repeat (or create it again if its Event is gone) or create a new one. */
  private async record(event: CoreEvent): Promise<void> {
    const result = this.correlator.correlate(event);
    if (result.skip) return;
    const written = result.patch ? await this.patchOrCreate(result.event, result.patch) : await this.create(result.event);
    this.correlator.updateState(written);
  }

  private async patchOrCreate(event: CoreEvent, patch: EventRepeatPatch): Promise<CoreEvent> {
    try {
      const { namespace, name } = event.metadata;
      return (await this.client.patch(EVENT_REF, namespace, name, 'strategic', patch)) as unknown as CoreEvent;
    } catch (err) {
      // Expired (event TTL) or deleted: client-go creates it again under the same name, with the count it has reached.
      if (!isNotFound(err)) throw err;
      return this.create(event);
    }
  }

  private async create(event: CoreEvent): Promise<CoreEvent> {
    const { resourceVersion: _, ...metadata } = event.metadata;
    // The type's literal fields first, then one spread: V8 copies a spread that follows another spread property by
    // property in its slow path (about 40 µs for an Event, 1 µs this way).
    return (await this.client.create({
      apiVersion: EVENT_REF.apiVersion,
      kind: EVENT_REF.kind,
      ...event,
      metadata,
    })) as unknown as CoreEvent;
  }

  private newEvent(ref: ObjectReference, type: EventType, reason: string, message: string): CoreEvent {
    const now = rfc3339(this.clock.now());
    const source = this.eventSource;
    return {
      metadata: { name: this.uniqueName(ref.name), namespace: ref.namespace ?? 'default' },
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
      // Unset by client-go's recorder, and served as null: written here so that the write path finds the Event complete.
      eventTime: null,
    };
  }

  /**
   * Kubernetes names events "<object>.<UnixNano in hex>". The clock has
   * millisecond resolution and virtual time may not move between events, so
   * events within one millisecond take the following nanoseconds.
   */
  private uniqueName(objectName: string): string {
    return `${objectName}.${nameSuffixes.next(this.clock.nowMs())}`;
  }
}
