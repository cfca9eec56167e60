// 1,000 VMs (runStrategy Always, instant profile) from create to every VM
// Running: wall time and RSS (aim: ≤ 10 s, ≤ 300 MB). Virtual time runs
// freely, so the timers of the simulation cost no waiting.
import v8 from 'node:v8';
import vm from 'node:vm';
import { startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { cirrosVmiSpec, installKubeVirt } from './lib/kubevirt.mjs';
import { profileMeasuredPhase } from './lib/profile.mjs';
import { note, report } from './lib/report.mjs';

const COUNT = Number(process.env.BENCH_VMS ?? 1000);
/** A node takes about 80 such VMs (CPU: 100m each of 8 cores; memory: 128Mi + 268Mi overhead of 32Gi). */
const WORKERS = Math.ceil(COUNT / 70) + 1;
const VM = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
const NAMESPACE = 'default';
const TIMEOUT_MS = 5 * 60_000;
/** A full collection before each memory reading, so RSS and heap show what is retained, not when V8 last collected. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const data = await temporaryDirectory('vm-scale-data');
const work = await temporaryDirectory('vm-scale-work');
const emulator = await startQuietEmulator(data.path, work.path, { insecureHttp: true, workers: WORKERS, clock: 'virtual' });
const { client, clock } = emulator;
try {
  await installKubeVirt(emulator);
  const stopClock = clock.runFreely();
  const running = new Set();
  let allRunning;
  const done = new Promise((resolve) => (allRunning = resolve));
  const subscription = client.watch(VM, { namespace: NAMESPACE }).subscribe((event) => {
    if (event.object.status?.printableStatus === 'Running') running.add(event.object.metadata.name);
    if (running.size === COUNT) allRunning();
  });
  gc();
  const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
  const stopProfiling = await profileMeasuredPhase();
  const started = performance.now();
  // On a shared machine the wall time follows the load; the process's own CPU time does not.
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < COUNT; i++) {
    await client.create({
      ...VM,
      metadata: { name: `scale-${i}`, namespace: NAMESPACE },
      spec: { runStrategy: 'Always', template: { spec: cirrosVmiSpec() } },
    });
  }
  const created = (performance.now() - started) / 1000;
  const timeout = setTimeout(() => allRunning(), TIMEOUT_MS);
  await done;
  clearTimeout(timeout);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const rssPeak = process.memoryUsage().rss;
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  await stopProfiling();
  stopClock();
  subscription.unsubscribe();
  if (running.size < COUNT) throw new Error(`only ${running.size} of ${COUNT} VMs Running after ${TIMEOUT_MS / 1000} s`);
  note(
    `${WORKERS} workers; all ${COUNT} VMs created after ${created.toFixed(1)} s; RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB with KubeVirt installed`,
  );
  report('vm-scale', [
    { metric: `${COUNT} VMs, create to all Running`, value: seconds, unit: 's', target: { op: '<=', value: 10 } },
    { metric: 'CPU time of the emulator process (user + system)', value: (cpu.user + cpu.system) / 1e6, unit: 's' },
    { metric: 'RSS with all VMs Running (after a full GC)', value: rss / 2 ** 20, unit: 'MiB', target: { op: '<=', value: 300 } },
    { metric: 'RSS before that GC', value: rssPeak / 2 ** 20, unit: 'MiB' },
    // RSS moves in pages the allocator keeps or returns as it likes; the heap after a full GC is what each VM really costs.
    {
      metric: 'JS heap retained per VM (VM, VMI, launcher pod, events, watch history)',
      value: (heapUsed - heapBefore) / COUNT / 1024,
      unit: 'KiB',
    },
  ]);
} finally {
  await emulator.stop();
  await data.remove();
  await work.remove();
}
