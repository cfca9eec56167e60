// (e) Store write cost against cluster size: ConfigMap creates/s with 1k and
// with 100k ConfigMaps already stored in the same namespace. Pre-loading goes
// through the in-process client and is not measured; each measurement starts
// on a settled event loop and includes the deferred work its writes cause.
// Creates are measured twice: in-process (registry and store without HTTP,
// where an O(cluster) cost would show most; a fixed count) and over HTTPS
// keep-alive (what a user sees; a fixed duration). The measurements add
// roughly 10k objects of their own, small beside the 100k case. A warm-up
// round in another namespace first keeps cold code out of the 1k figures.
import { clientCredentials, configMap, createNamespace, settle, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { measureLoad } from './lib/load.mjs';
import { note, report } from './lib/report.mjs';

const SIZES = [1_000, 100_000];
const CONCURRENCY = 32;
const HTTPS_DURATION_MS = 2000;
const IN_PROCESS_CREATES = 5000;
const NAMESPACE = 'bench';
const WARMUP_NAMESPACE = 'warmup';

/** Creates ConfigMaps <prefix>-<from> .. <prefix>-<count-1> in `namespace`, CONCURRENCY at a time. */
async function preload(client, namespace, prefix, from, count) {
  let next = from;
  const lane = async () => {
    while (next < count) await client.create(configMap(namespace, `${prefix}-${next++}`));
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

/** In-process creates/s: IN_PROCESS_CREATES creates from CONCURRENCY callers, timed until the work they left behind is done too. */
async function inProcessRate(client, label) {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < IN_PROCESS_CREATES) await client.create(configMap(NAMESPACE, `${label}-${next++}`));
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  await settle();
  return IN_PROCESS_CREATES / ((performance.now() - started) / 1000);
}

const dataDir = await temporaryDirectory('scale-data');
const workDir = await temporaryDirectory('scale-work');
try {
  const emulator = await startQuietEmulator(dataDir.path, workDir.path);
  try {
    const credentials = await clientCredentials(emulator);
    await createNamespace(emulator.client, NAMESPACE);
    await createNamespace(emulator.client, WARMUP_NAMESPACE);
    await preload(emulator.client, WARMUP_NAMESPACE, 'warm', 0, 1000);
    await measureLoad({
      origin: emulator.url,
      ca: credentials.ca,
      token: credentials.token,
      concurrency: CONCURRENCY,
      warmupMs: 0,
      durationMs: 1000,
      request: { kind: 'create', path: `/api/v1/namespaces/${WARMUP_NAMESPACE}/configmaps`, namePrefix: 'warm-http', expectStatus: 201 },
    });
    const rates = [];
    let loaded = 0;
    for (const size of SIZES) {
      const started = performance.now();
      await preload(emulator.client, NAMESPACE, 'pre', loaded, size);
      loaded = size;
      const created = performance.now();
      await settle();
      const seconds = (from, to) => ((to - from) / 1000).toFixed(1);
      note(
        `${size} ConfigMaps: created in ${seconds(started, created)} s, deferred work done ${seconds(created, performance.now())} s later; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
      );
      const inProcess = await inProcessRate(emulator.client, `in-${size}`);
      await settle();
      const overHttps = await measureLoad({
        origin: emulator.url,
        ca: credentials.ca,
        token: credentials.token,
        concurrency: CONCURRENCY,
        durationMs: HTTPS_DURATION_MS,
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
