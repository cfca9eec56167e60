// The simulated cluster at scale (instant profile): a Deployment of N replicas from create to every pod
// Running, as wall time and pods/s, and the memory a simulated node and a pod cost (RSS and heap deltas over
// the count). 1,000 replicas by default; BENCH_REPLICAS=10000 for the 10k anchor (KWOK's CI: < 60 s for 10k
// pods with a real apiserver; the aim here is < 10 s).
import { startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { note, report } from './lib/report.mjs';

const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1000);
const PODS_PER_NODE = 110;
const WORKERS = Math.ceil(REPLICAS / PODS_PER_NODE) + 1;
const TIMEOUT_MS = 10 * 60_000;

const memory = () => {
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
};

const data = await temporaryDirectory('scale-data');
const work = await temporaryDirectory('scale-work');
const before = memory();
const emulator = await startQuietEmulator(data.path, work.path, { insecureHttp: true, workers: WORKERS });
const deployments = { apiVersion: 'apps/v1', kind: 'Deployment' };
const pods = { apiVersion: 'v1', kind: 'Pod' };
try {
  // Let every node register and post Ready before measuring.
  const nodesReady = async () =>
    (await emulator.client.list({ apiVersion: 'v1', kind: 'Node' })).items.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
  while ((await nodesReady()) < WORKERS + 1) await new Promise((r) => setTimeout(r, 20));
  const withNodes = memory();

  const started = performance.now();
  await emulator.client.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'scale', namespace: 'default' },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: 'scale' } },
      template: {
        metadata: { labels: { app: 'scale' } },
        spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
      },
    },
  });
  let running = 0;
  while (running < REPLICAS) {
    if (performance.now() - started > TIMEOUT_MS)
      throw new Error(`only ${running} of ${REPLICAS} pods Running after ${TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
    running = (await emulator.client.list(pods, { namespace: 'default', fieldSelector: 'status.phase=Running' })).items.length;
  }
  const seconds = (performance.now() - started) / 1000;
  const available = (await emulator.client.get(deployments, 'default', 'scale')).status?.availableReplicas;
  const withPods = memory();
  note(`${WORKERS} workers; deployment availableReplicas ${available}`);
  report('cluster-scale', [
    {
      metric: `Deployment of ${REPLICAS} replicas, create to all Running`,
      value: seconds,
      unit: 's',
      target: REPLICAS >= 10_000 ? { op: '<=', value: 10 } : undefined,
    },
    { metric: 'pods Running per second', value: REPLICAS / seconds, unit: 'pods/s' },
    { metric: 'RSS per simulated node', value: (withNodes.rss - before.rss) / (WORKERS + 1) / 1024, unit: 'KiB' },
    {
      metric: 'RSS per pod (Deployment, ReplicaSet, Events included)',
      value: (withPods.rss - withNodes.rss) / REPLICAS / 1024,
      unit: 'KiB',
    },
    { metric: 'heap per pod', value: (withPods.heapUsed - withNodes.heapUsed) / REPLICAS / 1024, unit: 'KiB' },
  ]);
} finally {
  await emulator.stop();
  await data.remove();
  await work.remove();
}
