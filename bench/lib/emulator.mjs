// Starting a quiet emulator from dist/ for a benchmark, and the TLS material
// a client needs to talk to it. Benchmarks run against the built output, so
// `npm run build` first.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import https from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';

const distEmulator = new URL('../../dist/emulator.js', import.meta.url);
const distTls = new URL('../../dist/pki/certificates.js', import.meta.url);

export async function loadDist() {
  if (!existsSync(distEmulator)) throw new Error('dist/ is missing: run `npm run build` first');
  return import(distEmulator.href);
}

/** Another module of the built emulator, e.g. `scenario/kubectl.js`. */
export async function loadDistModule(path) {
  await loadDist();
  return import(new URL(`../../dist/${path}`, import.meta.url).href);
}

/** A fresh temporary directory, removed by the returned cleanup. */
export async function temporaryDirectory(prefix) {
  const path = await mkdtemp(join(tmpdir(), `kubevirt-emulator-bench-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Starts an emulator on 127.0.0.1 with a free port and no logging; `options` adds to or overrides EmulatorOptions. */
export async function startQuietEmulator(dataDir, workDir, options = {}) {
  const { startEmulator } = await loadDist();
  return startEmulator({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    kubeconfigPath: join(workDir, 'kubeconfig'),
    dataDir,
    ...options,
  });
}

/**
 * What an HTTPS client needs: the server, CA and kubernetes-admin's client certificate from the emulator's kubeconfig,
 * and, for an emulator in this process, the admin's bearer token. `emulator` may be just `{ kubeconfigPath }` (a
 * `serve` process): then the certificate is the credential.
 */
export async function clientCredentials(emulator) {
  const kubeconfig = parse(await readFile(emulator.kubeconfigPath, 'utf8'));
  const cluster = kubeconfig.clusters[0].cluster;
  const user = kubeconfig.users[0].user;
  const pem = (field) => (user[field] ? Buffer.from(user[field], 'base64').toString() : undefined);
  return {
    server: cluster.server,
    ca: cluster['certificate-authority-data'] ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString() : undefined,
    cert: pem('client-certificate-data'),
    key: pem('client-key-data'),
    token: emulator.adminToken,
  };
}

/** Resolves once the store's resourceVersion stood still for a second of real time (the controllers are done). */
export async function settled(emulator) {
  const namespaces = { apiVersion: 'v1', kind: 'Namespace' };
  for (let last = ''; ; ) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = (await emulator.client.list(namespaces, { limit: 1 })).metadata.resourceVersion;
    if (now === last) return;
    last = now;
  }
}

/** Creates a namespace through the in-process client (setup, not measured). */
export async function createNamespace(client, name) {
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export function configMap(namespace, name) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { bench: 'true' } }, data: { key: 'value' } };
}

/** The serving key and certificate the emulator uses for this data directory (loaded, or made on first use). */
export async function servingCertificates(dataDir) {
  if (!existsSync(distTls)) throw new Error('dist/ is missing: run `npm run build` first');
  const { loadOrCreateCertificates } = await import(distTls.href);
  const { keyPem, certPem } = await loadOrCreateCertificates(dataDir, ['127.0.0.1']);
  return { key: keyPem, cert: certPem };
}

/** One GET's body as text; Node's fetch cannot take a custom CA, so this uses https directly. */
export function getText(origin, path, { ca, token }) {
  return new Promise((resolve, reject) => {
    https
      .get(`${origin}${path}`, { ca, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } }, (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk) => (text += chunk));
        response.on('end', () =>
          response.statusCode === 200 ? resolve(text) : reject(new Error(`GET ${path}: ${response.statusCode} ${text}`)),
        );
      })
      .on('error', reject);
  });
}

/**
 * Resolves once the event loop runs timers on time again: work a write
 * schedules for later (watch fan-out, informers, controllers' queues) is part
 * of its cost, so rates include the time this takes.
 */
export async function settle({ maxLagMs = 10, calmTicks = 3, timeoutMs = 600_000 } = {}) {
  const deadline = performance.now() + timeoutMs;
  let calm = 0;
  while (calm < calmTicks) {
    if (performance.now() > deadline) throw new Error('the event loop did not settle');
    const asked = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1));
    calm = performance.now() - asked - 1 <= maxLagMs ? calm + 1 : 0;
  }
}
