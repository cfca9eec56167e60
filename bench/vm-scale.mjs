// VMs (runStrategy Always, instant profile, virtual clock) from create to
// every VM Running, at several sizes in one run, each size in a fresh process
// so one's heap never skews another's:
//   node bench/vm-scale.mjs                 1,000, 3,000 and 10,000 VMs (the issue's sizes), then the largest
//                                           size again with the embedded SQLite store (durable state)
//   node bench/vm-scale.mjs 1000 3000 5000  other sizes (the first is the baseline of the ratios)
//   node bench/vm-scale.mjs --memory-only   without the SQLite run
// Per size: wall time, the process's CPU time (on a shared machine the wall
// time follows the load, the CPU time much less), CPU per VM and its ratio to
// the first size's, RSS, JS heap retained per VM after a full GC (and what each
// VM beyond the previous size added: caches bounded by entries, code compiled
// on the first VM and such fixed costs drop out of it); then, with
// every VM Running, `kubectl get vm -A` (the user's kubectl: $KUBECTL or PATH;
// chunked and printed as a Table, as kubectl does by default) and a list+watch
// of every VM from scratch by @kubernetes/client-node, each in a process of
// its own. Virtual time runs freely, so the simulation's timers cost no waiting.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadDistModule, settled, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { run } from './lib/child-process.mjs';
import { cirrosVmiSpec, installKubeVirt } from './lib/kubevirt.mjs';
import { profileMeasuredPhase } from './lib/profile.mjs';
import { note, report } from './lib/report.mjs';

const DEFAULT_SIZES = [1000, 3000, 10_000];
const ONE_SIZE_PREFIX = 'VM_SCALE_RESULT ';
const VM = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
const NAMESPACE = 'default';

/** A node takes about 80 such VMs (CPU: 100m each of 8 cores; memory: 128Mi + 268Mi overhead of 32Gi); 10,000 VMs get 144 nodes. */
const nodesFor = (count) => Math.ceil(count / 70) + 1;

/** apiserver_request_total of the emulator's /metrics: successful writes by verb, resource and subresource. */
async function writeCounts(emulator) {
  const scrape = () => fetch(`${emulator.url}/metrics`, { headers: { authorization: `Bearer ${emulator.adminToken}` } });
  // Once more on a reset: the keep-alive connection of the scrape before may have been closed as idle since.
  const response = await scrape().catch(scrape);
  const counts = new Map();
  for (const line of (await response.text()).split('\n')) {
    const match = /^apiserver_request_total\{(.*)\} (\d+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (labels.verb === 'GET' || !labels.code.startsWith('2')) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(match[2]));
  }
  return counts;
}

/** One size in this process, in memory or with the cluster kept in an SQLite file: prints one result line for the parent. */
async function measureOneSize(count, storage) {
  const timeoutMs = 5 * 60_000 + count * 150;
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const data = await temporaryDirectory('vm-scale-data');
  const work = await temporaryDirectory('vm-scale-work');
  const stateFile = storage === 'sqlite' ? join(data.path, 'state.db') : undefined;
  const emulator = await startQuietEmulator(data.path, work.path, {
    insecureHttp: true,
    workers: nodesFor(count),
    clock: 'virtual',
    stateFile,
  });
  const { client, clock } = emulator;
  try {
    await installKubeVirt(emulator);
    const stopClock = clock.runFreely();
    const running = new Set();
    let allRunning;
    const done = new Promise((resolve) => (allRunning = resolve));
    const subscription = client.watch(VM, { namespace: NAMESPACE }).subscribe((event) => {
      if (event.object.status?.printableStatus === 'Running') running.add(event.object.metadata.name);
      if (running.size === count) allRunning();
    });
    const writesBefore = await writeCounts(emulator);
    gc();
    const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
    const stopProfiling = await profileMeasuredPhase();
    const started = performance.now();
    const virtualStarted = clock.nowMs();
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      await client.create({
        ...VM,
        metadata: { name: `scale-${i}`, namespace: NAMESPACE },
        spec: { runStrategy: 'Always', template: { spec: cirrosVmiSpec() } },
      });
    }
    const created = (performance.now() - started) / 1000;
    const timeout = setTimeout(() => allRunning(), timeoutMs);
    await done;
    clearTimeout(timeout);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const virtualSeconds = (clock.nowMs() - virtualStarted) / 1000;
    await stopProfiling();
    stopClock();
    subscription.unsubscribe();
    if (running.size < count) throw new Error(`only ${running.size} of ${count} VMs Running after ${timeoutMs / 1000} s`);
    const writesAfter = await writeCounts(emulator);
    const writesPerVm = Object.fromEntries(
      [...writesAfter].map(([key, n]) => [key, (n - (writesBefore.get(key) ?? 0)) / count]).filter(([, perVm]) => perVm > 0),
    );
    gc();
    const { rss, heapUsed } = process.memoryUsage();

    // The readers, each in a process of its own, against the settled cluster. The last VM Running is not the last
    // write: their VMIs' and VMs' status writes follow (some 0.9 per VM at 10,000), and a kubectl walk timed while
    // they land measured them too (at 10,000 under load 7–8, the server's CPU during that walk was 5.9–8.1 s, against
    // 0.9–1.3 s for a walk of the settled cluster).
    const settleStarted = performance.now();
    await settled(emulator);
    const settleSeconds = (performance.now() - settleStarted) / 1000;
    const writesSettled = await writeCounts(emulator);
    const writesWhileSettling = [...writesSettled].reduce((sum, [key, n]) => sum + n - (writesAfter.get(key) ?? 0), 0) / count;
    // kubectl's own floor, whatever the server: its REST client's token bucket (5 requests a second, a burst of 10)
    // lets the 20 pages of 10,000 VMs (500 a page) go out no faster than ~2.0 s from the first to the last, and it
    // decodes and prints the rows after the last. The same pages replayed from memory with no server work took
    // 3.4–5.0 s at load 3 (3.0 s with the rows' managedFields taken out), so "≤ 2 s" is out of kubectl's reach here.
    const kubectl = (await loadDistModule('scenario/kubectl.js')).resolveKubectl();
    const kubectlEnv = { KUBECONFIG: emulator.kubeconfigPath, KUBECACHEDIR: join(work.path, 'kube-cache') };
    const cold = await run(kubectl, ['get', 'vm', '-A'], kubectlEnv);
    const warm = await run(kubectl, ['get', 'vm', '-A'], kubectlEnv);
    const rows = warm.stdout.trim().split('\n').length - 1;
    if (rows !== count) throw new Error(`kubectl get vm -A printed ${rows} VMs, not ${count}`);
    const listWatchScript = fileURLToPath(new URL('./lib/list-watch.mjs', import.meta.url));
    const listWatch = JSON.parse((await run(process.execPath, [listWatchScript, emulator.kubeconfigPath])).stdout);
    if (listWatch.objects !== count) throw new Error(`client-node listed ${listWatch.objects} VMs, not ${count}`);

    const result = {
      count,
      storage,
      nodes: nodesFor(count),
      created,
      seconds,
      virtualSeconds,
      cpu: (cpu.user + cpu.system) / 1e6,
      rssBefore: rssBefore / 2 ** 20,
      rss: rss / 2 ** 20,
      heapPerVm: (heapUsed - heapBefore) / count / 1024,
      settleSeconds,
      writesWhileSettling,
      kubectlCold: cold.seconds,
      kubectlWarm: warm.seconds,
      listWatch: listWatch.ms / 1000,
      writesPerVm,
    };
    process.stdout.write(`${ONE_SIZE_PREFIX}${JSON.stringify(result)}\n`);
  } finally {
    await emulator.stop();
    await data.remove();
    await work.remove();
  }
}

const labelOf = (result) => `${result.count} VMs${result.storage === 'sqlite' ? ' (SQLite)' : ''}`;

async function measureSizes(sizes, withSqlite) {
  const script = fileURLToPath(import.meta.url);
  const runs = [
    ...sizes.map((count) => ({ count, storage: 'memory' })),
    ...(withSqlite ? [{ count: sizes.at(-1), storage: 'sqlite' }] : []),
  ];
  const results = [];
  const loadBefore = loadavg();
  for (const { count, storage } of runs) {
    note(`${count} VMs on ${nodesFor(count)} nodes, ${storage === 'sqlite' ? 'kept in SQLite' : 'in memory'} ...`);
    const { stdout } = await run(process.execPath, [script, '--one-size', String(count), storage]);
    const line = stdout.split('\n').find((text) => text.startsWith(ONE_SIZE_PREFIX));
    if (!line) throw new Error(`no result for ${count} VMs`);
    const result = JSON.parse(line.slice(ONE_SIZE_PREFIX.length));
    const label = labelOf(result);
    // Each size's figures as soon as they are in, so a run cut short still tells what it measured.
    note(
      `${label}: created after ${result.created.toFixed(1)} s, all Running after ${result.seconds.toFixed(1)} s ` +
        `(${result.virtualSeconds.toFixed(1)} s of virtual time); ` +
        `CPU ${result.cpu.toFixed(1)} s (${((result.cpu / count) * 1000).toFixed(1)} ms per VM); RSS ${result.rss.toFixed(0)} MiB ` +
        `(${result.rssBefore.toFixed(0)} MiB with KubeVirt installed); heap ${result.heapPerVm.toFixed(1)} KiB per VM; ` +
        `kubectl get vm -A ${result.kubectlWarm.toFixed(2)} s (${result.kubectlCold.toFixed(2)} s with discovery); ` +
        `client-node list+watch ${result.listWatch.toFixed(2)} s`,
    );
    const writes = Object.entries(result.writesPerVm).sort((a, b) => b[1] - a[1]);
    const totalWrites = writes.reduce((sum, [, perVm]) => sum + perVm, 0);
    note(
      `${label}: ${totalWrites.toFixed(1)} successful writes per VM to all Running: ${writes.map(([k, n]) => `${k} ${n.toFixed(2)}`).join(', ')}; ` +
        `${result.writesWhileSettling.toFixed(2)} more per VM in the ${result.settleSeconds.toFixed(1)} s before the cluster settled (the readers wait for it)`,
    );
    results.push(result);
  }
  const loadAfter = loadavg();
  note(
    `load average (1, 5, 15 min) before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(1)).join(' ')}`,
  );
  const inMemory = results.filter((result) => result.storage === 'memory');
  const baseline = inMemory[0];
  const cpuPerVm = (result) => (result.cpu / result.count) * 1000;
  const largest = inMemory.at(-1);
  /** The heap each VM beyond the previous size added: the cost per VM once fixed and bounded costs are paid. */
  const marginalHeapPerVm = (result, previous) =>
    (result.heapPerVm * result.count - previous.heapPerVm * previous.count) / (result.count - previous.count);
  /** The same size in memory, for the SQLite run's ratios. */
  const inMemoryTwin = (result) => inMemory.find((other) => other.count === result.count);
  report(
    'vm-scale',
    results.flatMap((result) => {
      const label = labelOf(result);
      const previous = result.storage === 'memory' ? inMemory[inMemory.indexOf(result) - 1] : undefined;
      const twin = result.storage === 'sqlite' ? inMemoryTwin(result) : undefined;
      return [
        {
          metric: `${label}, create to all Running (wall)`,
          value: result.seconds,
          unit: 's',
          target: result.count >= 10_000 ? { op: '<=', value: 60 } : undefined,
        },
        { metric: `${label}: CPU time (user + system)`, value: result.cpu, unit: 's' },
        { metric: `${label}: CPU per VM`, value: cpuPerVm(result), unit: 'ms' },
        ...(previous
          ? [
              {
                metric: `${label}: CPU per VM / CPU per VM at ${baseline.count}`,
                value: cpuPerVm(result) / cpuPerVm(baseline),
                unit: '',
                target: result === largest ? { op: '<=', value: 1.25 } : undefined,
              },
            ]
          : []),
        ...(twin ? [{ metric: `${label}: CPU per VM / CPU per VM in memory`, value: cpuPerVm(result) / cpuPerVm(twin), unit: '' }] : []),
        { metric: `${label}: RSS (after a full GC)`, value: result.rss, unit: 'MiB', target: { op: '<=', value: 1024 } },
        {
          metric: `${label}: JS heap retained per Running VM (VM, VMI, launcher pod, events, watch history)`,
          value: result.heapPerVm,
          unit: 'KiB',
          target: { op: '<=', value: 60 },
        },
        ...(previous
          ? [
              {
                metric: `${label}: JS heap added per VM beyond ${previous.count} VMs`,
                value: marginalHeapPerVm(result, previous),
                unit: 'KiB',
              },
            ]
          : []),
        { metric: `${label}: kubectl get vm -A (discovery cached)`, value: result.kubectlWarm, unit: 's', target: { op: '<=', value: 2 } },
        { metric: `${label}: client-node list+watch from scratch`, value: result.listWatch, unit: 's', target: { op: '<=', value: 2 } },
      ];
    }),
  );
}

const oneSize = process.argv.indexOf('--one-size');
if (oneSize >= 0) await measureOneSize(Number(process.argv[oneSize + 1]), process.argv[oneSize + 2]);
else {
  const memoryOnly = process.argv.includes('--memory-only');
  const sizes = process.argv
    .slice(2)
    .filter((arg) => arg !== '--memory-only')
    .map(Number);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1))
    throw new Error('usage: node bench/vm-scale.mjs [--memory-only] [VM count ...]');
  await measureSizes(sizes.length > 0 ? sizes : DEFAULT_SIZES, !memoryOnly);
}
