/**
 * The listeners of a stream of writes, called directly: a write reaches every watch of its resource, so the
 * fan-out sits on the path of every write and must cost a call per listener, no more (an rxjs Subject costs
 * several frames, a try block and a copy of its observers per event). Its rules are a Subject's: a listener
 * added while a write is being delivered first hears the next write; one removed meanwhile hears nothing more;
 * one that throws does not keep the others (or the writer) from going on, and its error goes where rxjs sends a
 * subscriber's: to rxjs's onUnhandledError hook (see runtime/subscriber-errors.ts), else an uncaught exception.
 */
import { config } from 'rxjs';

export type Listener<E> = (event: E) => void;

interface Entry<E> {
  readonly listener: Listener<E>;
  active: boolean;
}

export class Listeners<E> {
  /** Replaced, never changed in place, when a listener comes or goes: a delivery goes on over the list it started with. */
  private entries: readonly Entry<E>[] = [];

  /** Adds `listener`; returns what removes it. */
  add(listener: Listener<E>): () => void {
    const entry: Entry<E> = { listener, active: true };
    this.entries = [...this.entries, entry];
    return () => {
      if (!entry.active) return;
      entry.active = false;
      this.entries = this.entries.filter((other) => other !== entry);
    };
  }

  get size(): number {
    return this.entries.length;
  }

  emit(event: E): void {
    for (const entry of this.entries) {
      if (!entry.active) continue;
      try {
        entry.listener(event);
      } catch (error) {
        reportLater(error);
      }
    }
  }
}

function reportLater(error: unknown): void {
  queueMicrotask(() => {
    if (!config.onUnhandledError) throw error;
    config.onUnhandledError(error);
  });
}
