/**
 * Recent store events per resource, so a watch can resume from an older
 * resourceVersion; older than its resource's history, the answer is 410 Gone.
 * As kube-apiserver's watch cache (storage/cacher/watch_cache.go), each
 * resource has its own ring, sized by time: it starts at 100 events, doubles
 * when full while all it holds is under 75 s old, halves when full and its
 * newest quarter is older than that, and stays between 100 and 100 × 1024
 * events. A busy resource (Events, pods) so never pushes a quiet one's
 * history out, and the memory a resource's history takes follows its write
 * rate, not the number of objects.
 */
import type { StoreEvent } from './store.js';

export interface HistoryPolicy {
  /** Events a resource's ring starts with and never shrinks below (kube: 100). */
  lowerBound: number;
  /** Events a resource's ring never grows beyond (kube: 100 × 1024). */
  upperBound: number;
  /** A ring keeps at least this long of its resource's events while the bounds allow (kube: 75 s, its eventFreshDuration). */
  freshMs: number;
  /** The newest events (of all resources) a durable store keeps for the history after a restart. */
  persisted: number;
}

export const kubeHistoryPolicy: HistoryPolicy = { lowerBound: 100, upperBound: 100 * 1024, freshMs: 75_000, persisted: 10_000 };

/** A ring of `capacity` events per resource, whatever their age (for tests of eviction and 410). */
export const fixedHistory = (capacity: number): HistoryPolicy => ({
  lowerBound: capacity,
  upperBound: capacity,
  freshMs: 0,
  persisted: capacity,
});

/** One resource's ring: watch_cache.go's cyclic buffer with its resize rule. */
class ResourceHistory {
  private events: (StoreEvent | undefined)[];
  private recordedAtMs: Float64Array;
  private capacity: number;
  /** Index (ever growing) of the oldest event held and one past the newest, as watch_cache.go's startIndex/endIndex. */
  private startIndex = 0;
  private endIndex = 0;
  private removedAny = false;

  constructor(
    private readonly policy: HistoryPolicy,
    /** Every event up to this resourceVersion is gone (before the store started, or lost across a restart). */
    private readonly lostUpTo: number,
  ) {
    this.capacity = policy.lowerBound;
    this.events = new Array(this.capacity);
    this.recordedAtMs = new Float64Array(this.capacity);
  }

  append(event: StoreEvent, nowMs: number): void {
    this.resize(nowMs);
    if (this.full) {
      this.events[this.startIndex % this.capacity] = undefined;
      this.startIndex++;
      this.removedAny = true;
    }
    this.events[this.endIndex % this.capacity] = event;
    this.recordedAtMs[this.endIndex % this.capacity] = nowMs;
    this.endIndex++;
  }

  /**
   * The oldest resourceVersion a watch may start from: while nothing was evicted, where the history began; after,
   * the one before the oldest event held (kube reports `oldest-1`, even when older events of other resources fell between).
   */
  get oldestResumable(): number {
    if (!this.removedAny) return this.lostUpTo;
    return this.at(this.startIndex).resourceVersion - 1;
  }

  /** Events newer than `resourceVersion`, oldest first. */
  since(resourceVersion: number): StoreEvent[] {
    let first = this.endIndex;
    while (first > this.startIndex && this.at(first - 1).resourceVersion > resourceVersion) first--;
    const out: StoreEvent[] = [];
    for (let i = first; i < this.endIndex; i++) out.push(this.at(i));
    return out;
  }

  private get full(): boolean {
    return this.endIndex === this.startIndex + this.capacity;
  }

  private at(index: number): StoreEvent {
    return this.events[index % this.capacity]!;
  }

  /** watch_cache.go's resizeCacheLocked: only a full ring changes size. */
  private resize(nowMs: number): void {
    if (!this.full) return;
    const { freshMs, lowerBound, upperBound } = this.policy;
    if (nowMs - this.recordedAtMs[this.startIndex % this.capacity]! < freshMs) {
      if (this.capacity < upperBound) this.resizeTo(Math.min(this.capacity * 2, upperBound));
    } else if (nowMs - this.recordedAtMs[(this.endIndex - Math.floor(this.capacity / 4)) % this.capacity]! > freshMs) {
      if (this.capacity > lowerBound) this.resizeTo(Math.max(Math.floor(this.capacity / 2), lowerBound));
    }
  }

  private resizeTo(capacity: number): void {
    const events = new Array<StoreEvent | undefined>(capacity);
    const recordedAtMs = new Float64Array(capacity);
    // A shrinking ring keeps its newest events.
    if (capacity < this.capacity) this.startIndex = this.endIndex - capacity;
    for (let i = this.startIndex; i < this.endIndex; i++) {
      events[i % capacity] = this.events[i % this.capacity];
      recordedAtMs[i % capacity] = this.recordedAtMs[i % this.capacity]!;
    }
    this.events = events;
    this.recordedAtMs = recordedAtMs;
    this.capacity = capacity;
  }
}

export class WatchHistory {
  private readonly resources = new Map<string, ResourceHistory>();
  /** Every event up to this resourceVersion is gone for every resource (before this store began or lost across a restart). */
  private lostUpTo = 0;

  constructor(
    private readonly policy: HistoryPolicy,
    private readonly nowMs: () => number,
  ) {}

  append(event: StoreEvent): void {
    this.resource(event.storageKey).append(event, this.nowMs());
  }

  /** Starts from stored events (oldest first), every event up to `lostUpTo` being gone. */
  restore(events: readonly StoreEvent[], lostUpTo: number): void {
    this.lostUpTo = Math.max(this.lostUpTo, lostUpTo);
    for (const event of events) this.append(event);
  }

  /** Whether every event of the resource after `resourceVersion` is still held. */
  covers(storageKey: string, resourceVersion: number): boolean {
    return resourceVersion >= this.oldestResumable(storageKey);
  }

  /** The oldest resourceVersion a watch of the resource may still start from. */
  oldestResumable(storageKey: string): number {
    return this.resources.get(storageKey)?.oldestResumable ?? this.lostUpTo;
  }

  /** The resource's events newer than `resourceVersion`, oldest first. */
  since(storageKey: string, resourceVersion: number): StoreEvent[] {
    return this.resources.get(storageKey)?.since(resourceVersion) ?? [];
  }

  private resource(storageKey: string): ResourceHistory {
    let history = this.resources.get(storageKey);
    if (!history) this.resources.set(storageKey, (history = new ResourceHistory(this.policy, this.lostUpTo)));
    return history;
  }
}
