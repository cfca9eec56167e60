import t from 'tap';
import { Observable, type Subscriber } from 'rxjs';
import { deliverSoon } from '../../../src/client/deferred-delivery.js';

/** A watcher that records what it hears, and its subscriber to deliver to. */
function watcher(name: string, heard: string[], onEvent?: (event: string) => void) {
  let subscriber!: Subscriber<string>;
  const subscription = new Observable<string>((s) => void (subscriber = s)).subscribe((event) => {
    heard.push(`${name} ${event}`);
    onEvent?.(event);
  });
  return { subscriber, subscription };
}

t.test('events are delivered after the call that wrote them, every watcher in write order', async (t) => {
  const heard: string[] = [];
  const [a, b] = [watcher('a', heard), watcher('b', heard)];
  deliverSoon(a.subscriber, '1');
  deliverSoon(b.subscriber, '1');
  deliverSoon(a.subscriber, '2');
  t.same(heard, [], 'nothing inside the call');
  await Promise.resolve();
  t.same(heard, ['a 1', 'b 1', 'a 2']);
});

t.test('a write made while a burst is delivered comes after what the handlers queued meanwhile', async (t) => {
  const heard: string[] = [];
  const b = watcher('b', heard);
  const a = watcher('a', heard, (event) => {
    if (event !== '1') return;
    queueMicrotask(() => heard.push('queued by a handler'));
    deliverSoon(b.subscriber, 'written by a handler');
  });
  deliverSoon(a.subscriber, '1');
  deliverSoon(a.subscriber, '2');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(heard, ['a 1', 'a 2', 'queued by a handler', 'b written by a handler']);
});

t.test('a watcher that unsubscribed before its burst hears nothing', async (t) => {
  const heard: string[] = [];
  const [a, b] = [watcher('a', heard), watcher('b', heard)];
  deliverSoon(a.subscriber, '1');
  deliverSoon(b.subscriber, '1');
  a.subscription.unsubscribe();
  await Promise.resolve();
  t.same(heard, ['b 1']);
});
