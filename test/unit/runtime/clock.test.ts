import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { RealClock, VirtualClock, rfc3339, rfc3339Micro } from '../../../src/runtime/clock.js';

const START = Date.UTC(2026, 10, 24, 16, 0, 0);

t.test('timers fire in due order, ties in the order they were set', async (t) => {
  const clock = new VirtualClock(START);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('c@30'), 30);
  clock.setTimeout(() => fired.push('a@10'), 10);
  clock.setTimeout(() => fired.push('b@10'), 10);
  clock.setTimeout(() => fired.push('d@31'), 31);
  await clock.advance(30);
  t.same(fired, ['a@10', 'b@10', 'c@30']);
  t.equal(clock.nowMs(), START + 30);
  t.same(clock.pendingTimers(), [{ timerId: 4, dueMs: START + 31 }]);
});

t.test('each timer sees the time it was due at', async (t) => {
  const clock = new VirtualClock(START);
  const seen: number[] = [];
  clock.setTimeout(() => seen.push(clock.nowMs() - START), 250);
  clock.setTimeout(() => seen.push(clock.nowMs() - START), 100);
  await clock.advance(1000);
  t.same(seen, [100, 250]);
  t.equal(clock.nowMs(), START + 1000);
});

t.test('cleared timers do not fire', async (t) => {
  const clock = new VirtualClock(START);
  let fired = false;
  const handle = clock.setTimeout(() => (fired = true), 5);
  clock.clearTimeout(handle);
  await clock.advance(10);
  t.notOk(fired);
  t.same(clock.pendingTimers(), []);
});

t.test('advance runs timers set by timers and by their async continuations', async (t) => {
  const clock = new VirtualClock(START);
  const log: string[] = [];
  const chain = async (): Promise<void> => {
    await clock.sleep(10);
    log.push(`first@${clock.nowMs() - START}`);
    await Promise.resolve();
    await clock.sleep(10);
    log.push(`second@${clock.nowMs() - START}`);
    await clock.sleep(100);
    log.push(`third@${clock.nowMs() - START}`);
  };
  const done = chain();
  await clock.advance(25);
  t.same(log, ['first@10', 'second@20']);
  await clock.advance(100);
  await done;
  t.same(log, ['first@10', 'second@20', 'third@120']);
});

t.test('a reaction to one timer runs before the next timer fires', async (t) => {
  const clock = new VirtualClock(START);
  const order: string[] = [];
  clock.setTimeout(() => {
    void Promise.resolve().then(() => order.push('reaction to 1'));
  }, 1);
  clock.setTimeout(() => order.push('timer 2'), 2);
  await clock.advance(2);
  t.same(order, ['reaction to 1', 'timer 2']);
});

t.test('runUntilIdle follows chains to the end, or stops at maxMs', async (t) => {
  const clock = new VirtualClock(START);
  let ticks = 0;
  const tick = (): void => {
    ticks++;
    if (ticks < 5) clock.setTimeout(tick, 1000);
  };
  clock.setTimeout(tick, 1000);
  await clock.runUntilIdle();
  t.equal(ticks, 5);
  t.equal(clock.nowMs(), START + 5000);

  const periodic = (): void => void clock.setTimeout(periodic, 10_000);
  periodic();
  await clock.runUntilIdle({ maxMs: 35_000 });
  t.equal(clock.nowMs(), START + 40_000, 'time stops at maxMs');
  t.equal(clock.pendingTimers().length, 1);
  await t.rejects(clock.runUntilIdle({ maxTimers: 3 }), /still busy after 3 timers/);
});

t.test('runFreely jumps from timer to timer on its own until stopped', async (t) => {
  const clock = new VirtualClock(START);
  const stop = clock.runFreely();
  await clock.sleep(60_000);
  t.equal(clock.nowMs(), START + 60_000, 'a minute passed at once');
  await new Promise((resolve) => setImmediate(resolve));
  await clock.sleep(3_600_000);
  t.equal(clock.nowMs(), START + 3_660_000, 'woke up for a timer set while idle');
  stop();
  let fired = false;
  clock.setTimeout(() => (fired = true), 1);
  await new RealClock().sleep(5);
  t.notOk(fired, 'stopped');
});

t.test('RealClock fires and cancels real timers', async (t) => {
  const clock = new RealClock();
  const before = clock.nowMs();
  await clock.sleep(5);
  t.ok(clock.nowMs() - before >= 4);
  let fired = false;
  clock.clearTimeout(clock.setTimeout(() => (fired = true), 1));
  await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 10));
  t.notOk(fired);
});

t.test('Kubernetes timestamp formats', async (t) => {
  const date = new Date(Date.UTC(2026, 10, 24, 16, 0, 0, 123));
  t.equal(rfc3339(date), '2026-11-24T16:00:00Z');
  t.equal(rfc3339Micro(date), '2026-11-24T16:00:00.123000Z');
  // The last second spelled is remembered: the same second (another millisecond) and the ones around it, in any order.
  t.equal(rfc3339(new Date(Date.UTC(2026, 10, 24, 16, 0, 0, 999))), '2026-11-24T16:00:00Z');
  t.equal(rfc3339(new Date(Date.UTC(2026, 10, 24, 16, 0, 1, 0))), '2026-11-24T16:00:01Z');
  t.equal(rfc3339(new Date(Date.UTC(2026, 10, 24, 15, 59, 59, 999))), '2026-11-24T15:59:59Z');
  t.equal(rfc3339(new Date(-1)), '1969-12-31T23:59:59Z');
  t.throws(() => rfc3339(new Date(Number.NaN)), RangeError);
});

t.test('a real timer longer than Node allows (2^31-1 ms) waits instead of firing at once', async (t) => {
  const clock = new RealClock();
  let fired = false;
  const timer = clock.setTimeout(() => (fired = true), 2 ** 31 + 1_000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.notOk(fired);
  clock.clearTimeout(timer);
});

t.test('a cleared virtual timer lets go of its callback before it would have been due', async (t) => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const clock = new VirtualClock();
  const held = (() => {
    const payload = { big: new Array(1000).fill('x') };
    clock.clearTimeout(clock.setTimeout(() => payload.big.length, 60_000));
    return new WeakRef(payload);
  })();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  t.equal(held.deref(), undefined, 'what the callback held is collected while the timer would still be pending');
  await clock.advance(60_000);
});
