// 50 VMs started and stopped over and over (each runs one virtual minute, then stays stopped one minute) for two
// hours of virtual time: the Event count, RSS and the JS heap (after a full GC) every ten virtual minutes. Every component's
// recorder counts repeats on one Event (client-go's correlator) and Events expire one hour after their last write
// (kube-apiserver's --event-ttl), so after the first hour both level off. The verdict compares the growth of the
// last hour with the growth of the first (at least two hours: BENCH_MINUTES=120), measured in the same run.
// BENCH_HEAP_SNAPSHOT_MINUTES=60,120 writes a heap snapshot (event-churn-<minute>.heapsnapshot, in the working
// directory) after those samples, to diff in DevTools (objects allocated between snapshots, by constructor); writing
// one costs memory, so RSS figures of such a run are not comparable.
import { loadavg } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { cirrosVmiSpec, installKubeVirt } from './lib/kubevirt.mjs';
import { note, report } from './lib/report.mjs';

const VMS = Number(process.env.BENCH_VMS ?? 50);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 120);
const SAMPLE_EVERY_MINUTES = 10;
const TTL_MINUTES = 60;
const SNAPSHOT_MINUTES = new Set((process.env.BENCH_HEAP_SNAPSHOT_MINUTES ?? '').split(',').filter(Boolean).map(Number));
const VM = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
const EVENT_KINDS = [
  { apiVersion: 'v1', kind: 'Event' },
  { apiVersion: 'events.k8s.io/v1', kind: 'Event' },
];
const NAMESPACE = 'default';
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const data = await temporaryDirectory('event-churn-data');
const work = await temporaryDirectory('event-churn-work');
const emulator = await startQuietEmulator(data.path, work.path, { insecureHttp: true, workers: 2, clock: 'virtual' });
const { client, clock } = emulator;

async function eventCount() {
  let total = 0;
  for (const ref of EVENT_KINDS) total += (await client.list(ref)).items.length;
  return total;
}

/**
 * A full GC that also compacts every fragmented page. A plain full GC compacts only pages that are mostly free, so a
 * process this busy (never idle, never near its heap limit) keeps old-space pages a third full, committed: its RSS
 * then climbs for hours towards V8's bound while the live heap is level. After this GC (and one wall-clock second for V8 to unmap
 * the freed pages), RSS is what the process needs.
 */
async function compactingGc() {
  v8.setFlagsFromString('--compact-on-every-full-gc');
  gc();
  v8.setFlagsFromString('--no-compact-on-every-full-gc');
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

async function sample(minute, samples) {
  gc();
  const busy = process.memoryUsage();
  await compactingGc();
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  const mib = (bytes) => bytes / 2 ** 20;
  const row = { minute, events: await eventCount(), busyRssMiB: mib(busy.rss), rssMiB: mib(rss), heapMiB: mib(heapUsed) };
  samples.push(row);
  const memory = [
    `RSS ${mib(busy.rss).toFixed(0)} MiB, compacted ${mib(rss).toFixed(0)} MiB`,
    `heap ${mib(heapUsed).toFixed(0)} MiB used of ${mib(busy.heapTotal).toFixed(0)}, compacted ${mib(heapTotal).toFixed(0)}`,
    `load ${loadavg()[0].toFixed(1)}`,
  ];
  note(`${String(minute).padStart(4)} min  ${String(row.events).padStart(7)} Events  ${memory.join('  ')}`);
  if (SNAPSHOT_MINUTES.has(minute)) note(`heap snapshot ${v8.writeHeapSnapshot(`event-churn-${minute}.heapsnapshot`)}`);
}

/** Growth over the last hour relative to the first hour's: near 0 once the figure has levelled off. */
function lastHourGrowth(samples, figure) {
  const at = (minute) => samples.find((s) => s.minute === minute)[figure];
  const end = samples.at(-1).minute;
  return (at(end) - at(end - TTL_MINUTES)) / (at(TTL_MINUTES) - at(0));
}

const setRunStrategy = async (runStrategy) => {
  for (let i = 0; i < VMS; i++) await client.patch(VM, NAMESPACE, `churn-${i}`, 'merge', { spec: { runStrategy } });
};

try {
  await installKubeVirt(emulator);
  for (let i = 0; i < VMS; i++) {
    const spec = { runStrategy: 'Halted', template: { spec: cirrosVmiSpec() } };
    await client.create({ ...VM, metadata: { name: `churn-${i}`, namespace: NAMESPACE }, spec });
  }
  if (MINUTES < 2 * TTL_MINUTES || MINUTES % SAMPLE_EVERY_MINUTES) throw new Error('BENCH_MINUTES: a multiple of 10, at least 120');
  const samples = [];
  const started = performance.now();
  note(`${VMS} VMs, start and stop every 2 virtual minutes, ${MINUTES} virtual minutes; event TTL ${TTL_MINUTES} min`);
  await sample(0, samples);
  for (let minute = 0; minute < MINUTES; minute += 2) {
    await setRunStrategy('Always');
    await clock.advance(60_000);
    await setRunStrategy('Halted');
    await clock.advance(60_000);
    if ((minute + 2) % SAMPLE_EVERY_MINUTES === 0) await sample(minute + 2, samples);
  }
  const last = samples.at(-1);
  note(`${((performance.now() - started) / 1000).toFixed(0)} s of wall time`);
  const levelOff = { op: '<=', value: 0.1 };
  const growth = `growth in the last hour (min ${last.minute - TTL_MINUTES}-${last.minute}) / in the first`;
  report('event-churn', [
    { metric: `Events after ${last.minute} virtual min of churning ${VMS} VMs`, value: last.events, unit: '' },
    { metric: `Events, ${growth}`, value: lastHourGrowth(samples, 'events'), unit: 'x', target: levelOff },
    { metric: `RSS after a compacting full GC at ${last.minute} min`, value: last.rssMiB, unit: 'MiB' },
    { metric: `RSS after a compacting full GC, ${growth}`, value: lastHourGrowth(samples, 'rssMiB'), unit: 'x', target: levelOff },
    { metric: `RSS after a plain full GC at ${last.minute} min`, value: last.busyRssMiB, unit: 'MiB' },
    { metric: `RSS after a plain full GC, ${growth}`, value: lastHourGrowth(samples, 'busyRssMiB'), unit: 'x' },
    { metric: `JS heap used at ${last.minute} min`, value: last.heapMiB, unit: 'MiB' },
    { metric: `JS heap used, ${growth}`, value: lastHourGrowth(samples, 'heapMiB'), unit: 'x', target: levelOff },
  ]);
} finally {
  await emulator.stop();
  await data.remove();
  await work.remove();
}
