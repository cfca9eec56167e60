// How serving a big list scales, without starting VMs (vm-scale.mjs measures
// the same reads after 90 s of VM starts): KubeVirt installed, N
// VirtualMachines created Halted in 10 namespaces (no VMI, no pod; the VM
// controller gives each its status), then, once no more writes come,
// `kubectl get vm -A` (chunked, 500 a page, printed as a Table; discovery
// cached by a first run) timed several times with the server's CPU time for
// it (the emulator runs in this process, kubectl in its own), and a list+watch
// by @kubernetes/client-node. With --pad-mib M the heap first gets M MiB of
// retained objects, as 10,000 Running VMs make it 1.5 GB, to see what a big
// heap costs the serving (full mark-compacts of all of it).
//   node bench/list-scale.mjs [--pad-mib 1200] [--runs 3] 3000 10000
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNamespace, loadDistModule, settled, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { run } from './lib/child-process.mjs';
import { cirrosVmiSpec, installKubeVirt } from './lib/kubevirt.mjs';
import { profileMeasuredPhase } from './lib/profile.mjs';
import { note } from './lib/report.mjs';

const VM = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
const NAMESPACES = 10;

/** Retained objects of about `mib` MiB. */
function padHeap(mib) {
  const pad = [];
  for (let i = 0; i < (mib * 2 ** 20) / 420; i++) pad.push({ name: `pad-${i}`, text: `${i}`.padEnd(300, 'x'), list: [i, i + 1, { i }] });
  return pad;
}

async function measure(count, { padMib, runs }) {
  const data = await temporaryDirectory('list-scale-data');
  const work = await temporaryDirectory('list-scale-work');
  const emulator = await startQuietEmulator(data.path, work.path, { insecureHttp: true, workers: 1, clock: 'virtual' });
  try {
    await installKubeVirt(emulator);
    for (let i = 0; i < NAMESPACES; i++) await createNamespace(emulator.client, `ns-${i}`);
    for (let i = 0; i < count; i++) {
      await emulator.client.create({
        ...VM,
        metadata: { name: `scale-${i}`, namespace: `ns-${i % NAMESPACES}` },
        spec: { runStrategy: 'Halted', template: { spec: cirrosVmiSpec() } },
      });
    }
    await emulator.clock.advance(5000);
    await settled(emulator);
    const pad = padMib ? padHeap(padMib) : [];
    const kubectl = (await loadDistModule('scenario/kubectl.js')).resolveKubectl();
    const env = { KUBECONFIG: emulator.kubeconfigPath, KUBECACHEDIR: join(work.path, 'kube-cache') };
    await run(kubectl, ['get', 'vm', '-A'], env);
    const times = [];
    const stopProfiling = await profileMeasuredPhase();
    for (let i = 0; i < runs; i++) {
      const cpuBefore = process.cpuUsage();
      const { stdout, seconds } = await run(kubectl, ['get', 'vm', '-A'], env);
      const cpu = process.cpuUsage(cpuBefore);
      const rows = stdout.trim().split('\n').length - 1;
      if (rows !== count) throw new Error(`kubectl printed ${rows} rows, not ${count}`);
      times.push({ seconds, serverCpu: (cpu.user + cpu.system) / 1e6 });
    }
    const listWatchScript = fileURLToPath(new URL('./lib/list-watch.mjs', import.meta.url));
    const cpuBefore = process.cpuUsage();
    const listWatch = JSON.parse((await run(process.execPath, [listWatchScript, emulator.kubeconfigPath])).stdout);
    const listWatchCpu = process.cpuUsage(cpuBefore);
    await stopProfiling();
    if (listWatch.objects !== count) throw new Error(`client-node listed ${listWatch.objects} VMs, not ${count}`);
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    note(
      `${count} VMs (heap ${heap.toFixed(0)} MiB, ${pad.length} pad objects): kubectl get vm -A ` +
        times.map((t) => `${t.seconds.toFixed(2)} s (server CPU ${t.serverCpu.toFixed(2)} s)`).join(', ') +
        `; client-node list+watch ${(listWatch.ms / 1000).toFixed(2)} s (server CPU ${((listWatchCpu.user + listWatchCpu.system) / 1e6).toFixed(2)} s)`,
    );
  } finally {
    await emulator.stop();
    await data.remove();
    await work.remove();
  }
}

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return Number(value);
};
const padMib = option('--pad-mib', 0);
const runs = option('--runs', 3);
for (const count of args.map(Number)) await measure(count, { padMib, runs });
