/**
 * Watch events for in-process watchers, delivered after the write that made them, as a network watch would: a
 * component never sees its own write inside the call that made it. Every event written in one synchronous stretch
 * (one write reaches several watchers; a burst of writes, many) goes out in one microtask, in the order they were
 * written, instead of a microtask (and a closure) per event per watcher. A write made while a burst is delivered
 * starts the next burst, in a microtask of its own, so it is delivered after whatever the handlers of the first
 * one queued, as a microtask per event would have had it.
 */
import type { Subscriber } from 'rxjs';

/** Watcher and event, alternately: two slots per delivery, no object per delivery. */
let burst: unknown[] | undefined;

export function deliverSoon<E>(watcher: Subscriber<E>, event: E): void {
  if (!burst) {
    burst = [];
    queueMicrotask(deliverBurst);
  }
  burst.push(watcher, event);
}

/** A watcher that unsubscribed in the meantime is closed, and its subscriber ignores the event. */
function deliverBurst(): void {
  const deliveries = burst!;
  burst = undefined;
  for (let i = 0; i < deliveries.length; i += 2) (deliveries[i] as Subscriber<unknown>).next(deliveries[i + 1]);
}
