/**
 * A bounded ring of recent store events, so a watch can resume from an older
 * resourceVersion; older than the ring, the answer is 410 Gone, as from the
 * apiserver's watch cache.
 */
import type { StoreEvent } from './store.js';

export class WatchHistory {
  private readonly ring: (StoreEvent | undefined)[];
  private start = 0;
  private length = 0;
  /** resourceVersion of the newest event that fell out of the ring. */
  private evictedUpTo = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  append(event: StoreEvent): void {
    if (this.length === this.capacity) {
      this.evictedUpTo = this.ring[this.start]!.resourceVersion;
      this.ring[this.start] = event;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.ring[(this.start + this.length) % this.capacity] = event;
      this.length++;
    }
  }

  /** Starts from stored events (oldest first), every event up to `evictedUpTo` being gone. */
  restore(events: readonly StoreEvent[], evictedUpTo: number): void {
    for (const event of events.slice(-this.capacity)) this.append(event);
    this.evictedUpTo = Math.max(this.evictedUpTo, evictedUpTo);
  }

  /** Whether every event after `resourceVersion` is still held. */
  covers(resourceVersion: number): boolean {
    return resourceVersion >= this.evictedUpTo;
  }

  /** The oldest resourceVersion a watch may still start from. */
  get oldestResumable(): number {
    return this.evictedUpTo;
  }

  /** Events newer than `resourceVersion`, oldest first. */
  since(resourceVersion: number): StoreEvent[] {
    const out: StoreEvent[] = [];
    for (let i = this.length - 1; i >= 0; i--) {
      const event = this.ring[(this.start + i) % this.capacity]!;
      if (event.resourceVersion <= resourceVersion) break;
      out.push(event);
    }
    return out.reverse();
  }
}
