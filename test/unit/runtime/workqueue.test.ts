import t from 'tap';
import { VirtualClock } from '../../../src/runtime/clock.js';
import { ExponentialBackoff, WorkQueue } from '../../../src/runtime/workqueue.js';

t.test('a key added many times is queued once, in first-add order', async (t) => {
  const queue = new WorkQueue(new VirtualClock());
  for (const key of ['a', 'b', 'a', 'c', 'b', 'a']) queue.add(key);
  t.equal(queue.length, 3);
  t.same([await queue.get(), await queue.get(), await queue.get()], ['a', 'b', 'c']);
});

t.test('a key re-added while processed is processed once more, after done', async (t) => {
  const queue = new WorkQueue(new VirtualClock());
  queue.add('a');
  const key = await queue.get();
  t.equal(key, 'a');
  queue.add('a');
  queue.add('a');
  t.equal(queue.length, 0, 'not handed to a second worker while in progress');
  queue.done('a');
  t.equal(queue.length, 1, 'queued again once, after done');
  t.equal(await queue.get(), 'a');
  queue.done('a');
  t.equal(queue.length, 0);
});

t.test('a waiting get receives the next added key', async (t) => {
  const queue = new WorkQueue(new VirtualClock());
  const waiting = queue.get();
  queue.add('x');
  t.equal(await waiting, 'x');
});

t.test('addAfter adds on the clock; the earliest of several delays wins', async (t) => {
  const clock = new VirtualClock();
  const queue = new WorkQueue(clock);
  queue.addAfter('k', 100);
  queue.addAfter('k', 50);
  queue.addAfter('k', 200);
  await clock.advance(49);
  t.equal(queue.length, 0);
  await clock.advance(1);
  t.equal(queue.length, 1);
  await clock.advance(500);
  t.equal(queue.length, 1, 'the later delayed adds were dropped');
  t.equal(clock.pendingTimers().length, 0);
});

t.test('addRateLimited backs off exponentially per key until forget', async (t) => {
  const clock = new VirtualClock();
  const queue = new WorkQueue(clock);
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = clock.nowMs();
    queue.addRateLimited('k');
    await clock.runUntilIdle();
    t.equal(await queue.get(), 'k');
    queue.done('k');
    delays.push(clock.nowMs() - before);
  }
  t.same(delays, [5, 10, 20, 40, 80]);
  t.equal(queue.retries('k'), 5);
  t.equal(queue.retries('other'), 0);
  queue.forget('k');
  t.equal(queue.retries('k'), 0);
  const before = clock.nowMs();
  queue.addRateLimited('k');
  await clock.runUntilIdle();
  t.equal(clock.nowMs() - before, 5, 'back to the base delay');
});

t.test('the back-off is capped at 1000 s', async (t) => {
  const backoff = new ExponentialBackoff();
  const delays = Array.from({ length: 30 }, () => backoff.when('k'));
  t.equal(delays[0], 5);
  t.equal(delays[17], 5 * 2 ** 17);
  t.equal(delays[18], 1000_000);
  t.equal(delays[29], 1000_000);
});

t.test('shutDown releases waiting workers, drops delayed adds and refuses new keys', async (t) => {
  const clock = new VirtualClock();
  const queue = new WorkQueue(clock);
  queue.add('queued');
  const first = await queue.get();
  const waiting = queue.get();
  queue.addAfter('later', 10);
  queue.shutDown();
  t.equal(first, 'queued');
  t.equal(await waiting, undefined);
  t.equal(clock.pendingTimers().length, 0);
  queue.add('new');
  t.equal(await queue.get(), undefined);
  t.ok(queue.isShuttingDown);
});
