// (e) Store write cost against cluster size: ConfigMap creates/s with 1k and
// with 100k ConfigMaps already stored in the same namespace. Pre-loading goes
// through the in-process client (not measured). Creates are measured twice:
// in-process (the registry and store alone, where an O(cluster) cost would
// show most) and over HTTPS keep-alive (what a user sees).
import { clientCredentials, configMap, createNamespace, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { measureLoad } from './lib/load.mjs';
import { note, report } from './lib/report.mjs';

const SIZES = [1_000, 100_000];
const CONCURRENCY = 32;
const DURATION_MS = 3000;
const NAMESPACE = 'bench';

/** Creates ConfigMaps pre-0 .. pre-(count-1) from `from` on, CONCURRENCY at a time. */
async function preload(client, from, count) {
  let next = from;
  const lane = async () => {
    while (next < count) await client.create(configMap(NAMESPACE, `pre-${next++}`));
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

/** In-process creates/s: CONCURRENCY callers creating for DURATION_MS. */
async function inProcessRate(client, label) {
  let created = 0;
  const until = performance.now() + DURATION_MS;
  const lane = async (laneIndex) => {
    for (let index = 0; performance.now() < until; index += 1) {
      await client.create(configMap(NAMESPACE, `${label}-${laneIndex}-${index}`));
      created += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, laneIndex) => lane(laneIndex)));
  return created / (DURATION_MS / 1000);
}

const dataDir = await temporaryDirectory('scale-data');
const workDir = await temporaryDirectory('scale-work');
try {
  const emulator = await startQuietEmulator(dataDir.path, workDir.path);
  try {
    const credentials = await clientCredentials(emulator.kubeconfigPath);
    await createNamespace(emulator.client, NAMESPACE);
    const rates = [];
    let loaded = 0;
    for (const size of SIZES) {
      const started = performance.now();
      await preload(emulator.client, loaded, size);
      loaded = size;
      global.gc?.();
      note(`${size} ConfigMaps loaded in ${((performance.now() - started) / 1000).toFixed(1)} s; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
      const inProcess = await inProcessRate(emulator.client, `in-${size}`);
      const overHttps = await measureLoad({
        origin: emulator.url,
        ca: credentials.ca,
        token: credentials.token,
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
        request: { kind: 'create', path: `/api/v1/namespaces/${NAMESPACE}/configmaps`, namePrefix: `http-${size}`, expectStatus: 201 },
      });
      note(`HTTPS with ${size} stored: statuses ${JSON.stringify(overHttps.statuses)}, transport errors ${overHttps.failures}`);
      rates.push({ size, inProcess, overHttps: overHttps.perSecond, heapMiB: process.memoryUsage().heapUsed / 2 ** 20 });
    }
    const [small, large] = rates;
    report('store-scaling', [
      ...rates.flatMap((rate) => [
        { metric: `in-process creates/s with ${rate.size.toLocaleString('en-US')} stored`, value: rate.inProcess, unit: 'creates/s' },
        { metric: `HTTPS creates/s with ${rate.size.toLocaleString('en-US')} stored`, value: rate.overHttps, unit: 'creates/s' },
        { metric: `heap used with ${rate.size.toLocaleString('en-US')} stored`, value: rate.heapMiB, unit: 'MiB' },
      ]),
      { metric: 'in-process rate, 100k / 1k', value: large.inProcess / small.inProcess, unit: '', target: { op: '>=', value: 0.8 } },
      { metric: 'HTTPS rate, 100k / 1k', value: large.overHttps / small.overHttps, unit: '', target: { op: '>=', value: 0.8 } },
    ]);
  } finally {
    await emulator.stop();
  }
} finally {
  await dataDir.remove();
  await workDir.remove();
}
