// Hostile requests (test/fuzz/hostile-requests.mjs) against an emulator with
// KubeVirt installed: 100,000 by default (`node bench/fuzz.mjs [count] [seed]`),
// then every stored object read back. Prints crashes, 5xx answers to client
// errors, error bodies that are not Status objects, malformed stored objects,
// answers slower than 5 s, and the latency percentiles.
import { runHostileRequests, namespaceForFuzzing } from '../test/fuzz/hostile-requests.mjs';
import { createNamespace, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { note, report } from './lib/report.mjs';

const COUNT = Number(process.argv[2] ?? 100_000);
const SEED = Number(process.argv[3] ?? 1);

let crashes = 0;
process.on('uncaughtException', (err) => {
  crashes++;
  note(`uncaught exception: ${err.stack}`);
});
process.on('unhandledRejection', (err) => {
  crashes++;
  note(`unhandled rejection: ${err?.stack ?? err}`);
});

const dataDir = await temporaryDirectory('fuzz-data');
const workDir = await temporaryDirectory('fuzz-work');
try {
  // As `serve --install-kubevirt` runs: real clock, KubeVirt Available before the first request.
  const emulator = await startQuietEmulator(dataDir.path, workDir.path, { insecureHttp: true, installKubeVirt: true });
  await createNamespace(emulator.client, namespaceForFuzzing);
  note(`${COUNT} hostile requests, seed ${SEED}, against ${emulator.url}`);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const { tally, stored } = await runHostileRequests(emulator.url, {
    seed: SEED,
    count: COUNT,
    onProgress: (t) => note(`${t.requests} requests, ${Math.round((performance.now() - started) / 1000)} s`),
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const healthy = await fetch(`${emulator.url}/healthz`)
    .then((r) => r.text())
    .catch(() => 'unreachable');
  await emulator.stop();

  note(`answers by status: ${JSON.stringify(tally.byStatus)}`);
  note(`virt-api and aggregator plain-text answers (as the real ones answer): ${tally.faithfulPlainText}`);
  note(`504 "Too large resource version" answers (kube-apiserver's own, after its 3 s wait): ${tally.tooLargeResourceVersion}`);
  note(`stored objects checked: ${stored.checked}`);
  for (const p of tally.problems) note(`problem: ${JSON.stringify(p)}`);
  for (const p of stored.problems.slice(0, 20)) note(`malformed: ${p}`);
  report('fuzz', [
    { metric: 'hostile requests', value: tally.requests, unit: '' },
    { metric: 'requests per second', value: tally.requests / seconds, unit: 'req/s' },
    { metric: 'CPU seconds (client and server, one process)', value: (cpu.user + cpu.system) / 1e6, unit: 's' },
    { metric: 'crashes (uncaught exceptions, rejections)', value: crashes, unit: '', target: { op: '<=', value: 0 } },
    { metric: 'server still healthy', value: healthy === 'ok' ? 1 : 0, unit: '', target: { op: '>=', value: 1 } },
    { metric: '5xx answers to client errors', value: tally.serverErrors, unit: '', target: { op: '<=', value: 0 } },
    { metric: 'error answers that are not a Status', value: tally.nonStatusErrors, unit: '', target: { op: '<=', value: 0 } },
    { metric: 'transport errors', value: tally.transportErrors, unit: '', target: { op: '<=', value: 0 } },
    { metric: 'malformed objects stored', value: stored.problems.length, unit: '', target: { op: '<=', value: 0 } },
    { metric: `answers slower than 5 s`, value: tally.slow, unit: '', target: { op: '<=', value: 0 } },
    { metric: 'latency p50', value: tally.percentile(50), unit: 'ms' },
    { metric: 'latency p99', value: tally.percentile(99), unit: 'ms' },
    { metric: 'latency max', value: tally.maxMs, unit: 'ms' },
  ]);
} finally {
  await workDir.remove();
  await dataDir.remove();
}
