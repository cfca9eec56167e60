/**
 * Delivers one watch's events at the pace its client reads them, as the
 * cacher's cacheWatcher does: the events a watch starts with are handed over
 * as the socket drains (they are the store's own objects, held by
 * reference), later events wait in a bounded buffer, and a client that stays
 * behind is disconnected, as the cacher closes a watcher that blocks its
 * dispatch; the client starts a new watch from the last resourceVersion it
 * saw. Node's socket buffer never holds more than its high-water mark plus
 * one event, so a client that stops reading costs a bounded amount of memory.
 *
 * The cacher gives a blocked watcher a fraction of a second; here in-process
 * controllers can write a burst without letting the event loop read any
 * socket, so a watcher over its buffer gets a few seconds of real time to
 * catch up, and only a hard bound closes it at once.
 *
 * A later event is first written in a slice shared by all watchers
 * (WriteSlices), not in the store write that produced it, so one write's
 * fan-out does not hold the event loop; what waits behind a full socket
 * follows when the socket drains.
 */
import type { ServerResponse } from 'node:http';
import type { WatchEvent } from '../../api/types.js';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { type Flushable, watchWrites, type WriteSlices } from './write-slices.js';

export const watchBufferLimits = {
  /** Later events a watch may be behind by (the cacher's largest watch channel holds 1000)... */
  maxBufferedEvents: 1000,
  /** ...for this long (real time) before it is closed... */
  behindGraceMs: 5_000,
  /** ...or at once when this far behind. */
  hardMaxBufferedEvents: 10_000,
};

/** An event as it waits: its bytes when they were made for every watcher at once, else the event, encoded when written. */
export type QueuedEvent = WatchEvent | Buffer;

export class WatchSender implements Flushable {
  private queue: QueuedEvent[] = [];
  private next = 0;
  /** Events of the start still queued; they come first, and do not count against the buffer. */
  private startLeft = 0;
  private behindCheck: TimerHandle | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly encode: (event: WatchEvent) => string | Buffer,
    /** Real time, for the grace a watcher behind gets. */
    private readonly wallClock: Clock,
    /** Called once when the client stayed behind; the sender has stopped. */
    private readonly onBehind: () => void,
    private readonly limits = watchBufferLimits,
    private readonly slices: WriteSlices = watchWrites,
  ) {
    // A socket that drained is being read: what waits follows at once, at the reader's pace (waiting for a slice would
    // hold a reader to one socket buffer per turn of the event loop).
    res.on('drain', () => this.flush());
  }

  /** The events the watch begins with. */
  start(events: WatchEvent[]): void {
    this.queue = events;
    this.startLeft = events.length;
    this.flush();
  }

  /** A later event. */
  push(event: QueuedEvent): void {
    if (this.behind >= this.limits.hardMaxBufferedEvents) return this.giveUp();
    this.queue.push(event);
    this.slices.request(this);
    if (this.behind > this.limits.maxBufferedEvents && !this.behindCheck) {
      this.behindCheck = this.wallClock.setTimeout(() => {
        this.behindCheck = undefined;
        if (this.behind > this.limits.maxBufferedEvents) this.giveUp();
      }, this.limits.behindGraceMs);
    }
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
    if (this.behindCheck) this.wallClock.clearTimeout(this.behindCheck);
    this.behindCheck = undefined;
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
  }

  flush(): void {
    while (this.next < this.queue.length && !this.res.writableNeedDrain && !this.res.writableEnded && !this.res.destroyed) {
      const event = this.queue[this.next++];
      if (this.startLeft > 0) this.startLeft--;
      this.res.write(Buffer.isBuffer(event) ? event : this.encode(event));
    }
    // Drop what was sent, so the queue holds only what still waits.
    if (this.next === this.queue.length) this.clearQueue();
    else if (this.next >= 1024) {
      this.queue = this.queue.slice(this.next);
      this.next = 0;
    }
  }
}
