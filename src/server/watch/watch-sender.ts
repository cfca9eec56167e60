/**
 * Delivers one watch's events at the pace its client reads them, as the
 * cacher's cacheWatcher does: the events a watch starts with are handed over
 * as the socket drains (they are the store's own objects, held by
 * reference), later events wait in a bounded buffer, and a client that stays
 * behind is disconnected, as the cacher terminates a watcher that blocks its
 * dispatch; the client starts a new watch from the last resourceVersion it
 * saw. Node's socket buffer never holds more than its high-water mark plus
 * one event, so a client that stops reading costs a bounded amount of memory.
 *
 * The bound is checked as each event is queued, as the cacher checks it when
 * it adds an event to a watcher's channel: the event that finds a watcher
 * over its bound, and over it for longer than its grace, closes it then and
 * there, so no stuck watcher piles up events between flushes. The cacher
 * gives a blocked watcher a fraction of a second; here in-process
 * controllers can write a burst without letting the event loop read any
 * socket, so the grace is a few seconds of real time, and only a hard bound
 * closes a watcher at once. A socket's draining is no sign of a reader: the
 * kernel keeps taking more for a long while (Linux grows a stuck connection's
 * buffers to tens of MiB).
 *
 * A later event is first written in a slice shared by all watchers
 * (WriteSlices), not in the store write that produced it, so one write's
 * fan-out does not hold the event loop; what waits behind a full socket
 * follows when the socket drains.
 */
import type { ServerResponse } from 'node:http';
import type { WatchEvent } from '../../api/types.js';
import type { Clock } from '../../runtime/clock.js';
import { type Flushable, watchWrites, type WriteSlices } from './write-slices.js';

export interface WatchBufferLimits {
  /** Later events a watcher may be behind by (the cacher's largest watch channel holds 1000)... */
  maxBufferedEvents: number;
  /** ...and their bytes (each event's bytes are shared by every watcher they wait for)... */
  maxBufferedBytes: number;
  /** ...a watcher over either for this long (real time) is closed by its next event... */
  behindGraceMs: number;
  /** ...as it does at once when this far behind, reading or not. */
  hardMaxBufferedEvents: number;
  hardMaxBufferedBytes: number;
}

export const watchBufferLimits: WatchBufferLimits = {
  maxBufferedEvents: 1000,
  maxBufferedBytes: 1024 * 1024,
  behindGraceMs: 5_000,
  hardMaxBufferedEvents: 10_000,
  hardMaxBufferedBytes: 64 * 1024 * 1024,
};

/** An event as it waits: its bytes when they were made for every watcher at once, else the event, encoded when written. */
export type QueuedEvent = WatchEvent | Buffer;

export class WatchSender implements Flushable {
  private queue: QueuedEvent[] = [];
  private next = 0;
  /** Events of the start still queued; they come first, and do not count against the buffer. */
  private startLeft = 0;
  /** Bytes of the later events waiting (a Table, made when written, counts as an event only). */
  private behindBytes = 0;
  /** Since when (real time) the watcher has been over its bound; undefined while it is within. */
  private overSinceMs: number | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly encode: (event: WatchEvent) => string | Buffer,
    /** Real time, for how long a watcher has been over its bound. */
    private readonly wallClock: Clock,
    /** Called once when the client stayed behind; the sender has stopped. */
    private readonly onBehind: () => void,
    private readonly limits = watchBufferLimits,
    private readonly slices: WriteSlices = watchWrites,
  ) {
    // A socket that drained takes more: what waits follows at once, at the reader's pace (waiting for a slice would
    // hold a reader to one socket buffer per turn of the event loop).
    res.on('drain', () => this.flush());
  }

  /** The events the watch begins with. */
  start(events: WatchEvent[]): void {
    this.queue = events;
    this.startLeft = events.length;
    this.flush();
  }

  /** A later event: queued, or the watcher closed when the event finds it over its bound past the grace (or the hard bound). */
  push(event: QueuedEvent): void {
    this.queue.push(event);
    if (Buffer.isBuffer(event)) this.behindBytes += event.length;
    if (this.overBound()) return this.giveUp();
    this.slices.request(this);
  }

  private overBound(): boolean {
    const limits = this.limits;
    if (this.behind > limits.hardMaxBufferedEvents || this.behindBytes > limits.hardMaxBufferedBytes) return true;
    if (!this.overSoftBound) return false;
    const now = this.wallClock.nowMs();
    this.overSinceMs ??= now;
    return now - this.overSinceMs >= limits.behindGraceMs;
  }

  private get overSoftBound(): boolean {
    return this.behind > this.limits.maxBufferedEvents || this.behindBytes > this.limits.maxBufferedBytes;
  }

  /** An event worth sending only to a client that keeps up (a bookmark): dropped when anything is waiting, as the cacher drops it. */
  offer(event: WatchEvent): void {
    if (this.idle) this.push(event);
  }

  /** A bare newline, so clients with idle timers keep the stream; only when nothing else waits. */
  keepAlive(): void {
    if (this.idle) this.res.write('\n');
  }

  /** Nothing waits to be sent and the socket takes more. */
  get idle(): boolean {
    return this.pending === 0 && !this.res.writableNeedDrain;
  }

  /** Ends delivery: what the socket takes now is written, as if every event had gone out when it came; the rest is dropped. */
  stop(): void {
    this.flush();
    this.discard();
  }

  private giveUp(): void {
    this.discard();
    this.onBehind();
  }

  private discard(): void {
    this.clearQueue();
    this.slices.cancel(this);
  }

  private get pending(): number {
    return this.queue.length - this.next;
  }

  /** Later events waiting: how far the client is behind. */
  private get behind(): number {
    return this.pending - this.startLeft;
  }

  private clearQueue(): void {
    this.queue = [];
    this.next = 0;
    this.startLeft = 0;
    this.behindBytes = 0;
  }

  flush(): void {
    while (this.next < this.queue.length && !this.res.writableNeedDrain && !this.res.writableEnded && !this.res.destroyed) {
      const event = this.queue[this.next++];
      if (this.startLeft > 0) this.startLeft--;
      else if (Buffer.isBuffer(event)) this.behindBytes -= event.length;
      this.res.write(Buffer.isBuffer(event) ? event : this.encode(event));
    }
    if (!this.overSoftBound) this.overSinceMs = undefined;
    // Drop what was sent, so the queue holds only what still waits.
    if (this.next === this.queue.length) this.clearQueue();
    else if (this.next >= 1024) {
      this.queue = this.queue.slice(this.next);
      this.next = 0;
    }
  }
}
