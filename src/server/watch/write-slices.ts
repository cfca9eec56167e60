/**
 * Watch writes, a slice at a time. A write to the store goes to every watcher
 * of its resource, and each socket write encrypts the event and copies it into
 * the kernel (on loopback, into the reader's buffer as well): with 200 watchers
 * of 8 KiB objects whose socket buffers are still filling, one store write held
 * the event loop for several milliseconds, and every other request waited
 * behind the whole fan-out. Slices run from setImmediate, after the event
 * loop's poll phase, so sockets are read and other requests answered between
 * them.
 *
 * A slice flushes a share of the waiting watchers, each as far as its socket
 * takes, so a fan-out is spread over a few turns of the event loop and no
 * watcher waits more than those few turns: however busy the loop, the slices
 * keep pace with the writes (a byte budget per turn would not, and would close
 * watchers that read). A watcher's events stay in order: its queue is first in,
 * first out, and it is flushed by one slice at a time.
 */

export interface Flushable {
  /** Writes what the socket takes now. */
  flush(): void;
}

export interface SliceShape {
  /** Watchers flushed by a slice at least... */
  minPerSlice: number;
  /** ...or this fraction's inverse of those waiting, so any fan-out is done within this many turns. */
  turnsToDrain: number;
}

export const defaultSliceShape: SliceShape = { minPerSlice: 16, turnsToDrain: 8 };

export class WriteSlices {
  /** Insertion order: a watcher that asks again after its flush goes to the back. */
  private readonly waiting = new Set<Flushable>();
  private scheduled = false;

  constructor(private readonly shape = defaultSliceShape) {}

  /** `target` has something to write: it is flushed in a coming slice. */
  request(target: Flushable): void {
    this.waiting.add(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.runSlice);
    }
  }

  cancel(target: Flushable): void {
    this.waiting.delete(target);
  }

  private readonly runSlice = (): void => {
    let left = Math.max(this.shape.minPerSlice, Math.ceil(this.waiting.size / this.shape.turnsToDrain));
    for (const target of this.waiting) {
      if (left-- === 0) break;
      this.waiting.delete(target);
      target.flush();
    }
    if (this.waiting.size > 0) setImmediate(this.runSlice);
    else this.scheduled = false;
  };
}

/** One for the process: slices are about the event loop, which every watch of every server in it shares. */
export const watchWrites = new WriteSlices();
