// (b) GET of one object over HTTPS keep-alive, requests/s, beside a bare
// fastify HTTPS route that returns the same bytes with the same certificate,
// measured in the same run: the ratio is the emulator's per-request cost
// (routing, request info, registry, encoding) over fastify's floor.
import Fastify from 'fastify';
import {
  clientCredentials,
  configMap,
  createNamespace,
  getText,
  servingCertificates,
  startQuietEmulator,
  temporaryDirectory,
} from './lib/emulator.mjs';
import { measureLoad } from './lib/load.mjs';
import { note, report } from './lib/report.mjs';

const CONCURRENCY = 32;
const DURATION_MS = 5000;
const NAMESPACE = 'bench';
const OBJECT_PATH = `/api/v1/namespaces/${NAMESPACE}/configmaps/target`;

async function bareFastify(tls, body) {
  const app = Fastify({ logger: false, https: { key: tls.key, cert: tls.cert } });
  app.get(OBJECT_PATH, (_request, reply) => reply.type('application/json').send(body));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, origin: `https://127.0.0.1:${app.server.address().port}` };
}

const dataDir = await temporaryDirectory('get-data');
const workDir = await temporaryDirectory('get-work');
try {
  const emulator = await startQuietEmulator(dataDir.path, workDir.path);
  const credentials = await clientCredentials(emulator);
  await createNamespace(emulator.client, NAMESPACE);
  await emulator.client.create(configMap(NAMESPACE, 'target'));
  const get = { kind: 'get', path: OBJECT_PATH, expectStatus: 200 };

  note(`emulator: ${CONCURRENCY} in flight for ${DURATION_MS / 1000} s`);
  const emulated = await measureLoad({
    origin: emulator.url,
    ca: credentials.ca,
    token: credentials.token,
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS,
    request: get,
  });
  const body = await getText(emulator.url, OBJECT_PATH, credentials);
  await emulator.stop();

  // The same serving certificate and key, so both servers do the same TLS work.
  const bare = await bareFastify(await servingCertificates(dataDir.path), body);
  note(`bare fastify: ${CONCURRENCY} in flight for ${DURATION_MS / 1000} s`);
  const baseline = await measureLoad({
    origin: bare.origin,
    ca: credentials.ca,
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS,
    request: get,
  });
  await bare.app.close();

  for (const [label, result] of [
    ['emulator', emulated],
    ['bare fastify', baseline],
  ]) {
    note(`${label}: statuses ${JSON.stringify(result.statuses)}, transport errors ${result.failures}`);
  }
  report('get-throughput', [
    { metric: `emulator GET one ConfigMap, HTTPS keep-alive, ${CONCURRENCY} in flight`, value: emulated.perSecond, unit: 'req/s' },
    { metric: 'bare fastify HTTPS route, same JSON', value: baseline.perSecond, unit: 'req/s' },
    { metric: 'ratio emulator / bare fastify', value: emulated.perSecond / baseline.perSecond, unit: '', target: { op: '>=', value: 0.5 } },
  ]);
} finally {
  await dataDir.remove();
  await workDir.remove();
}
