import t from 'tap';
import { type Flushable, WriteSlices } from '../../../src/server/watch/write-slices.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A watcher whose socket takes everything: each flush writes what it holds, in order. */
class Target implements Flushable {
  readonly written: number[] = [];
  flushes = 0;
  private held: number[] = [];
  hold(...events: number[]): void {
    this.held.push(...events);
  }
  flush(): void {
    this.flushes++;
    this.written.push(...this.held);
    this.held = [];
  }
}

const flushedCount = (targets: Target[]) => targets.filter((target) => target.flushes > 0).length;

t.test('a fan-out is written in slices over the next turns of the event loop, not in the call that asks', async (t) => {
  const slices = new WriteSlices({ minPerSlice: 2, turnsToDrain: 4 });
  const targets = Array.from({ length: 20 }, () => new Target());
  for (const target of targets) {
    target.hold(1, 2);
    slices.request(target);
  }
  t.equal(flushedCount(targets), 0, 'the store write that asked returns before any socket write');

  // A quarter of the 20 waiting, then of the 15 left, and so on: never fewer than 2.
  const flushedPerTurn: number[] = [];
  for (let turn = 0; turn < 8 && flushedCount(targets) < targets.length; turn++) {
    await nextTurn();
    flushedPerTurn.push(flushedCount(targets));
  }
  t.same(flushedPerTurn, [5, 9, 12, 14, 16, 18, 20], 'a share of the waiting per turn, the event loop turning between slices');
  t.same(
    targets.map((target) => target.written),
    targets.map(() => [1, 2]),
    'every target got its events, in order, with one flush',
  );
  t.same(new Set(targets.map((target) => target.flushes)), new Set([1]));
});

t.test('a target that asks again before its slice is flushed once; a cancelled one is not flushed', async (t) => {
  const slices = new WriteSlices({ minPerSlice: 16, turnsToDrain: 8 });
  const kept = new Target();
  const cancelled = new Target();
  for (const event of [1, 2, 3]) {
    kept.hold(event);
    slices.request(kept);
  }
  cancelled.hold(9);
  slices.request(cancelled);
  slices.cancel(cancelled);
  await nextTurn();
  await nextTurn();
  t.same(kept.written, [1, 2, 3]);
  t.equal(kept.flushes, 1);
  t.equal(cancelled.flushes, 0);
});
