// 1,000 VMs (runStrategy Always, instant profile) from create to every VM
// Running: wall time and RSS (aim: ≤ 10 s, ≤ 300 MB). Virtual time runs
// freely, so the timers of the simulation cost no waiting.
import { startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { cirrosVmiSpec, installKubeVirt } from './lib/kubevirt.mjs';
import { note, report } from './lib/report.mjs';

const COUNT = Number(process.env.BENCH_VMS ?? 1000);
/** A node takes about 80 such VMs (CPU: 100m each of 8 cores; memory: 128Mi + 268Mi overhead of 32Gi). */
const WORKERS = Math.ceil(COUNT / 70) + 1;
const VM = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
const NAMESPACE = 'default';
const TIMEOUT_MS = 5 * 60_000;

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
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    await client.create({ ...VM, metadata: { name: `scale-${i}`, namespace: NAMESPACE }, spec: { runStrategy: 'Always', template: { spec: cirrosVmiSpec() } } });
  }
  const created = (performance.now() - started) / 1000;
  const timeout = setTimeout(() => allRunning(), TIMEOUT_MS);
  await done;
  clearTimeout(timeout);
  const seconds = (performance.now() - started) / 1000;
  const rss = process.memoryUsage().rss;
  stopClock();
  subscription.unsubscribe();
  if (running.size < COUNT) throw new Error(`only ${running.size} of ${COUNT} VMs Running after ${TIMEOUT_MS / 1000} s`);
  note(`${WORKERS} workers; all ${COUNT} VMs created after ${created.toFixed(1)} s; RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB with KubeVirt installed`);
  report('vm-scale', [
    { metric: `${COUNT} VMs, create to all Running`, value: seconds, unit: 's', target: { op: '<=', value: 10 } },
    { metric: 'RSS with all VMs Running', value: rss / 2 ** 20, unit: 'MiB', target: { op: '<=', value: 300 } },
    { metric: 'RSS per VM (VM, VMI, launcher pod, events)', value: (rss - rssBefore) / COUNT / 1024, unit: 'KiB' },
  ]);
} finally {
  await emulator.stop();
  await data.remove();
  await work.remove();
}
