// KubeVirt's perf-lane density shape: 100 VMIs created 100 ms apart (virtual
// clock) → creation-to-Running p50 / p95 on the instant and the realistic
// profile (real KubeVirt v1.8 perf lane: p50 ≈ 17 s, p95 ≈ 28 s), and the API
// requests on VMIs and pods per VMI by verb, from the apiserver's
// apiserver_request_total (as KubeVirt's perfscale audit reads it; it gates
// PATCH ≤ 2 and UPDATE ≤ 10 per VMI).
import { startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { cirrosVmiSpec, installKubeVirt, stepUntil } from './lib/kubevirt.mjs';
import { note, report } from './lib/report.mjs';

const COUNT = Number(process.env.BENCH_VMIS ?? 100);
const INTERVAL_MS = 100;
const VMI = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' };
const NAMESPACE = 'default';

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** apiserver_request_total summed by resource and verb. */
async function requestCounts(url, token) {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const counts = new Map();
  for (const line of text.split('\n')) {
    const match = /^apiserver_request_total\{(.*)\} (\d+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(match[2]));
  }
  return counts;
}

async function densityRun(profile) {
  const data = await temporaryDirectory('density-data');
  const work = await temporaryDirectory('density-work');
  const emulator = await startQuietEmulator(data.path, work.path, { insecureHttp: true, workers: 2, clock: 'virtual', profile });
  const { clock, client } = emulator;
  try {
    await installKubeVirt(emulator);
    const createdAt = new Map();
    const runningAfter = new Map();
    const subscription = client.watch(VMI, { namespace: NAMESPACE }).subscribe((event) => {
      const name = event.object.metadata.name;
      if (event.object.status?.phase === 'Running' && createdAt.has(name) && !runningAfter.has(name))
        runningAfter.set(name, clock.nowMs() - createdAt.get(name));
    });
    const before = await requestCounts(emulator.url, emulator.adminToken);
    const wallStart = performance.now();
    for (let i = 0; i < COUNT; i++) {
      const name = `density-${i}`;
      createdAt.set(name, clock.nowMs());
      await client.create({ ...VMI, metadata: { name, namespace: NAMESPACE }, spec: cirrosVmiSpec() });
      await clock.advance(INTERVAL_MS);
    }
    await stepUntil(clock, () => runningAfter.size === COUNT, { stepMs: INTERVAL_MS });
    const wallSeconds = (performance.now() - wallStart) / 1000;
    subscription.unsubscribe();
    const after = await requestCounts(emulator.url, emulator.adminToken);
    const perVmi = {};
    for (const [key, value] of after) {
      const delta = value - (before.get(key) ?? 0);
      if (delta && /virtualmachineinstances|pods/.test(key)) perVmi[key] = delta / COUNT;
    }
    const latencies = [...runningAfter.values()].map((ms) => ms / 1000);
    return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), wallSeconds, perVmi };
  } finally {
    await emulator.stop();
    await data.remove();
    await work.remove();
  }
}

const instant = await densityRun('instant');
const realistic = await densityRun('realistic');
const perVmi = (verb) =>
  Object.entries(instant.perVmi)
    .filter(([key]) => key.startsWith(`${verb} virtualmachineinstances`))
    .reduce((sum, [, n]) => sum + n, 0);
note(`requests per VMI (instant profile, VMIs and pods, by verb): ${JSON.stringify(instant.perVmi)}`);
note(`wall time: instant ${instant.wallSeconds.toFixed(1)} s, realistic ${realistic.wallSeconds.toFixed(1)} s`);
report('vmi-density', [
  { metric: `${COUNT} VMIs ${INTERVAL_MS} ms apart, instant: creation to Running p50`, value: instant.p50, unit: 's' },
  { metric: 'instant: creation to Running p95', value: instant.p95, unit: 's' },
  { metric: 'realistic: creation to Running p50 (real KubeVirt ≈ 17 s)', value: realistic.p50, unit: 's' },
  { metric: 'realistic: creation to Running p95 (real KubeVirt ≈ 28 s)', value: realistic.p95, unit: 's' },
  { metric: 'PATCH virtualmachineinstances per VMI', value: perVmi('PATCH'), unit: '', target: { op: '<=', value: 2 } },
  { metric: 'UPDATE (PUT) virtualmachineinstances per VMI', value: perVmi('PUT'), unit: '', target: { op: '<=', value: 10 } },
]);
