import t from 'tap';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';

t.test('the same seed gives the same sequence, another seed another', async (t) => {
  const draw = (seed: number) =>
    Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(new SeededRandom(seed)),
    );
  t.same(draw(42), draw(42));
  t.notSame(draw(42), draw(43));
});

t.test('values stay in range and spread out', async (t) => {
  const random = new SeededRandom(7);
  const values = Array.from({ length: 10_000 }, () => random.next());
  t.ok(values.every((v) => v >= 0 && v < 1));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  t.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean} near 0.5`);
  const buckets = new Array(10).fill(0);
  for (const v of values) buckets[Math.floor(v * 10)]++;
  t.ok(
    buckets.every((n) => n > 900 && n < 1100),
    `buckets ${buckets}`,
  );
});

t.test('between and jitter', async (t) => {
  const random = new SeededRandom(1);
  const betweens = Array.from({ length: 1000 }, () => random.between(10, 20));
  t.ok(
    betweens.every((b) => b >= 10 && b < 20),
    'between stays in [10, 20)',
  );
  const jitters = Array.from({ length: 1000 }, () => random.jitter(1000, 0.1));
  t.ok(
    jitters.every((j) => j >= 900 && j <= 1100),
    'jitter stays within ±10%',
  );
  t.ok(jitters.some((j) => j < 950) && jitters.some((j) => j > 1050), 'jitter uses its range');
  t.equal(random.jitter(1000, 0), 1000);
  t.ok(random.jitter(10, 5) >= 0, 'never negative');
});
