// A short seeded run of the hostile-request fuzzer (test/fuzz/hostile-requests.mjs) against an emulator with
// KubeVirt installed: no 5xx for a client's mistake, every error a Status, no answer slower than 5 s, nothing
// malformed stored, and the server still serving. An uncaught exception anywhere fails this file.
// FUZZ_SEED and FUZZ_COUNT reproduce or widen a run; bench/fuzz.mjs does 100,000 requests.
import t from 'tap';
import { withEmulator } from '../helpers/cluster.js';
// @ts-expect-error -- a plain ES module shared with bench/fuzz.mjs, without type declarations
import { namespaceForFuzzing, runHostileRequests } from './hostile-requests.mjs';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const COUNT = Number(process.env.FUZZ_COUNT ?? 1500);
/** Wall-clock bound of the request phase, so a loaded machine shortens the run rather than timing it out. */
const BUDGET_MS = 40_000;

t.test(`hostile requests (seed ${SEED})`, async (t) => {
  const { emulator } = await withEmulator(t, { installKubeVirt: true, insecureHttp: true });
  await emulator.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespaceForFuzzing } });
  const { tally, stored } = await runHostileRequests(emulator.url, { seed: SEED, count: COUNT, deadline: performance.now() + BUDGET_MS });
  t.comment(`${tally.requests} requests, answers by status ${JSON.stringify(tally.byStatus)}, ${stored.checked} stored objects checked`);
  const problems = JSON.stringify(tally.problems, null, 1);
  t.ok(tally.requests >= 300, 'enough requests ran to mean something');
  t.equal(tally.serverErrors, 0, `no 5xx answers to client errors ${problems}`);
  t.equal(tally.nonStatusErrors, 0, 'every error answer is a Status');
  t.equal(tally.transportErrors, 0, 'every request got an answer');
  t.equal(tally.slow, 0, 'no answer slower than 5 s');
  t.same(stored.problems, [], 'no malformed object stored');
  t.equal(await (await fetch(`${emulator.url}/healthz`)).text(), 'ok', 'still serving');
});
