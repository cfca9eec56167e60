/**
 * Delivers one watch's events at the pace its client reads them, as the
 * cacher's cacheWatcher does: the events a watch starts with are handed over
 * as the socket drains (they are the store's own objects, held by
 * reference), later events wait in a bounded buffer, and a client that lets
 * that buffer fill is behind: the watch is closed, as the cacher closes a
 * watcher that blocks its dispatch, and the client starts a new one from the
 * last resourceVersion it saw. Node's socket buffer never holds more than
 * its high-water mark plus one event, so a client that stops reading costs a
 * bounded amount of memory.
 */
import type { ServerResponse } from 'node:http';
import type { WatchEvent } from '../api/types.js';

/** Later events a watch may fall behind by before it is closed (the cacher's largest watch channel holds 1000). */
export const maxBufferedWatchEvents = 1000;

export class WatchSender {
  private queue: WatchEvent[] = [];
  private next = 0;
  /** Events of the start still queued; they come first, and do not count against the buffer. */
  private startLeft = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly encode: (event: WatchEvent) => string,
    private readonly onBehind: () => void,
    private readonly maxBuffered = maxBufferedWatchEvents,
  ) {
    res.on('drain', () => this.flush());
  }

  /** The events the watch begins with. */
  start(events: WatchEvent[]): void {
    this.queue = events;
    this.startLeft = events.length;
    this.flush();
  }

  /** A later event; a client already `maxBuffered` events behind is closed instead. */
  push(event: WatchEvent): void {
    if (this.pending - this.startLeft >= this.maxBuffered) {
      this.stop();
      this.onBehind();
      return;
    }
    this.queue.push(event);
    this.flush();
  }

  /** An event worth sending only to a client that keeps up (a bookmark): dropped when anything is waiting, as the cacher drops it. */
  offer(event: WatchEvent): void {
    if (this.idle) this.push(event);
  }

  /** Nothing waits to be sent and the socket takes more. */
  get idle(): boolean {
    return this.pending === 0 && !this.res.writableNeedDrain;
  }

  /** A bare newline, so clients with idle timers keep the stream; only when nothing else waits. */
  keepAlive(): void {
    if (this.idle) this.res.write('\n');
  }

  stop(): void {
    this.queue = [];
    this.next = 0;
    this.startLeft = 0;
  }

  private get pending(): number {
    return this.queue.length - this.next;
  }

  private flush(): void {
    while (this.next < this.queue.length && !this.res.writableNeedDrain && !this.res.writableEnded) {
      const event = this.queue[this.next++];
      if (this.startLeft > 0) this.startLeft--;
      this.res.write(this.encode(event));
    }
    // Drop what was sent, so the queue holds only what still waits.
    if (this.next === this.queue.length) this.stop();
    else if (this.next >= 1024) {
      this.queue = this.queue.slice(this.next);
      this.next = 0;
    }
  }
}
