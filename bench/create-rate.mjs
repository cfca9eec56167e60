// (c) ConfigMap creates per second over HTTPS keep-alive: every POST runs the
// full write path (decode, admission, validation, strategy, store, watch fan-out).
import { clientCredentials, createNamespace, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { measureLoad } from './lib/load.mjs';
import { note, report } from './lib/report.mjs';

const CONCURRENCY = 32;
const DURATION_MS = 5000;
const NAMESPACE = 'bench';

const dataDir = await temporaryDirectory('create-data');
const workDir = await temporaryDirectory('create-work');
try {
  const emulator = await startQuietEmulator(dataDir.path, workDir.path);
  try {
    const credentials = await clientCredentials(emulator.kubeconfigPath);
    await createNamespace(emulator.client, NAMESPACE);
    note(`POST ConfigMaps: ${CONCURRENCY} in flight for ${DURATION_MS / 1000} s`);
    const result = await measureLoad({
      origin: emulator.url,
      ca: credentials.ca,
      token: credentials.token,
      concurrency: CONCURRENCY,
      durationMs: DURATION_MS,
      request: { kind: 'create', path: `/api/v1/namespaces/${NAMESPACE}/configmaps`, namePrefix: 'cm', expectStatus: 201 },
    });
    note(`statuses ${JSON.stringify(result.statuses)}, transport errors ${result.failures}`);
    report('create-rate', [
      { metric: `ConfigMap creates over HTTPS, ${CONCURRENCY} in flight`, value: result.perSecond, unit: 'creates/s', target: { op: '>=', value: 2000 } },
    ]);
  } finally {
    await emulator.stop();
  }
} finally {
  await dataDir.remove();
  await workDir.remove();
}
