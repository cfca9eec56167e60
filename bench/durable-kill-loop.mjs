// Durable state under kill -9 (issue 17's 100 kills; test/e2e/durable/kill-loop.test.ts runs 2): `serve` from dist/
// on one data dir, 8 writers creating ConfigMaps over HTTPS, killed with SIGKILL after a random 0.2-1.2 s of load,
// restarted, checked: every create it acknowledged is back with its resourceVersion and the list resourceVersion
// is not behind any seen before. `node bench/durable-kill-loop.mjs [kills]`; needs `npm run build`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import { temporaryDirectory } from './lib/emulator.mjs';
import { note, report } from './lib/report.mjs';

const KILLS = Number(process.argv[2] ?? 100);
const WRITERS = 8;
const MAIN = new URL('../dist/cli/main.js', import.meta.url);
const CMS = '/api/v1/namespaces/default/configmaps';

function startServe(dataDir, kubeconfig) {
  const child = spawn(
    process.execPath,
    [MAIN.pathname, 'serve', '--port', '0', '--workers', '0', '--data-dir', dataDir, '--kubeconfig', kubeconfig, '--log-level', 'fatal'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      const url = /ready: (\S+)/.exec(stdout)?.[1];
      if (url) resolve({ child, url, exited });
    });
    exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

function client(url, kubeconfig) {
  const user = parse(readFileSync(kubeconfig, 'utf8')).users[0].user;
  const cluster = parse(readFileSync(kubeconfig, 'utf8')).clusters[0].cluster;
  const agent = new https.Agent({
    keepAlive: true,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
    cert: Buffer.from(user['client-certificate-data'], 'base64'),
    key: Buffer.from(user['client-key-data'], 'base64'),
  });
  return (method, path, body) =>
    new Promise((resolve, reject) => {
      const text = body && JSON.stringify(body);
      const headers = text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {};
      const req = https.request(`${url}${path}`, { method, agent, headers }, (res) => {
        let answer = '';
        res.setEncoding('utf8').on('data', (chunk) => (answer += chunk));
        res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(answer) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(text);
    });
}

const dir = await temporaryDirectory('kill-loop');
const dataDir = join(dir.path, 'data');
const kubeconfig = join(dir.path, 'kubeconfig');
const acknowledged = new Map();
let sequence = 0;
let highestSeen = 0;
let lost = 0;
let backwards = 0;
const restartMs = [];
try {
  for (let round = 0; round <= KILLS; round++) {
    const started = performance.now();
    const serve = await startServe(dataDir, kubeconfig);
    restartMs.push(performance.now() - started);
    const send = client(serve.url, kubeconfig);
    const list = await send('GET', CMS);
    const stored = new Map(list.json.items.map((cm) => [cm.metadata.name, Number(cm.metadata.resourceVersion)]));
    const missing = [...acknowledged].filter(([name, rv]) => stored.get(name) !== rv);
    lost += missing.length;
    if (Number(list.json.metadata.resourceVersion) < highestSeen) backwards++;
    if (missing.length) note(`after kill ${round}: ${missing.length} acknowledged creates missing, e.g. ${missing[0][0]}`);
    if (round === KILLS) {
      serve.child.kill('SIGTERM');
      await serve.exited;
      break;
    }
    const writer = async () => {
      for (;;) {
        const name = `cm-${sequence++}`;
        const answer = await send('POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }).catch(() => undefined);
        if (!answer) return;
        if (answer.status === 201) acknowledged.set(name, Number(answer.json.metadata.resourceVersion));
      }
    };
    const writing = Promise.all(Array.from({ length: WRITERS }, writer));
    await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 1000));
    serve.child.kill('SIGKILL');
    await Promise.all([serve.exited, writing]);
    highestSeen = Math.max(highestSeen, Number(list.json.metadata.resourceVersion), ...acknowledged.values());
    if ((round + 1) % 10 === 0) note(`${round + 1} kills, ${acknowledged.size} acknowledged creates`);
  }
} finally {
  await dir.remove();
}
restartMs.sort((a, b) => a - b);
report('durable-kill-loop', [
  { metric: `kill -9 and restart under ${WRITERS} concurrent writers`, value: KILLS, unit: 'kills' },
  { metric: 'creates acknowledged in all', value: acknowledged.size, unit: 'creates' },
  { metric: 'acknowledged creates lost', value: lost, unit: 'creates', target: { op: '<=', value: 0 } },
  { metric: 'restarts whose list resourceVersion went backwards', value: backwards, unit: 'restarts', target: { op: '<=', value: 0 } },
  { metric: 'serve start to ready, median', value: restartMs[Math.floor(restartMs.length / 2)], unit: 'ms' },
]);
