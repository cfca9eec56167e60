// (c) ConfigMap creates per second over the network API, HTTPS (the default)
// and plain HTTP (--insecure-http), keep-alive: every POST runs the full write
// path (decode, admission, validation, strategy, store, watch fan-out).
import { clientCredentials, createNamespace, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { measureLoad } from './lib/load.mjs';
import { note, report } from './lib/report.mjs';

const CONCURRENCY = 32;
const DURATION_MS = 5000;
// Long enough for the write path's code to be optimized before counting.
const WARMUP_MS = 2000;
const NAMESPACE = 'bench';
const TARGET = { op: '>=', value: 2000 };

async function createRate(scheme) {
  const dataDir = await temporaryDirectory('create-data');
  const workDir = await temporaryDirectory('create-work');
  const emulator = await startQuietEmulator(dataDir.path, workDir.path, { insecureHttp: scheme === 'http' });
  try {
    const credentials = await clientCredentials(emulator);
    await createNamespace(emulator.client, NAMESPACE);
    note(`${scheme}: POST ConfigMaps, ${CONCURRENCY} in flight for ${DURATION_MS / 1000} s`);
    const result = await measureLoad({
      origin: emulator.url,
      ca: credentials.ca,
      token: credentials.token,
      concurrency: CONCURRENCY,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
      request: { kind: 'create', path: `/api/v1/namespaces/${NAMESPACE}/configmaps`, namePrefix: 'cm', expectStatus: 201 },
    });
    note(`${scheme}: statuses ${JSON.stringify(result.statuses)}, transport errors ${result.failures}`);
    return result.perSecond;
  } finally {
    await emulator.stop();
    await dataDir.remove();
    await workDir.remove();
  }
}

report('create-rate', [
  { metric: `ConfigMap creates over HTTPS, ${CONCURRENCY} in flight`, value: await createRate('https'), unit: 'creates/s', target: TARGET },
  {
    metric: `ConfigMap creates over plain HTTP, ${CONCURRENCY} in flight`,
    value: await createRate('http'),
    unit: 'creates/s',
    target: TARGET,
  },
]);
