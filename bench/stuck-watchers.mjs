// 200 watchers that never read while 8 KiB ConfigMaps are written, against a `serve` process over HTTPS: the server's
// RSS growth, GET p99 against the same run's figure without stuck watchers, and whether the stuck watchers were
// closed. Then 1,300 idle and slowloris connections: how many the server still holds after its header timeout.
// Needs `npm run build`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientCredentials, temporaryDirectory } from './lib/emulator.mjs';
import { note, report } from './lib/report.mjs';

const STUCK_WATCHERS = 200;
const OBJECT_BYTES = 8 * 1024;
const CONFIGMAPS = 50;
/** Fills the server's watch history (10,000 events), so its growth is not counted as the watchers'. */
const WARMUP_WRITES = 10_000;
const PHASE_WRITES = 2_500;
const WRITES_PER_SECOND = 50;
const SLOW_CONNECTIONS = 1_300;
const STEADY_AFTER_MS = 20_000;

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes) => bytes / 2 ** 20;
const p99 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)];

function startServer(dataDir, kubeconfig) {
  const args = [cli, 'serve', '--port', '0', '--kubeconfig', kubeconfig, '--data-dir', dataDir, '--log-level', 'silent'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      const ready = /ready: (\S+)/.exec(output);
      if (ready) resolve({ child, url: ready[1] });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before it was ready`)));
  });
}

const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

const dataDir = await temporaryDirectory('stuck-data');
const workDir = await temporaryDirectory('stuck-work');
const kubeconfig = join(workDir.path, 'kubeconfig');
const { child, url } = await startServer(dataDir.path, kubeconfig);
try {
  // The admin kubeconfig's client certificate authenticates every connection, the agent's and the raw watchers'.
  const { ca, cert, key } = await clientCredentials({ kubeconfigPath: kubeconfig });
  const tlsOptions = { ca, cert, key };
  const origin = new URL(url);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 16, ...tlsOptions });
  const request = (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = { 'Content-Type': 'application/json' };
      const req = https.request(`${url}${path}`, { method, agent, headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode < 300 ? resolve(res.statusCode) : reject(new Error(`${method} ${path}: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(payload);
    });
  const cmPath = '/api/v1/namespaces/bench/configmaps';
  const configMap = (index, write) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${index}`, namespace: 'bench' },
    data: { blob: `${write}-`.padEnd(OBJECT_BYTES, String.fromCharCode(97 + (write % 26))) },
  });

  await request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  for (let i = 0; i < CONFIGMAPS; i++) await request('POST', cmPath, configMap(i, 0));
  let written = 0;
  const write = () => {
    const n = ++written;
    return request('PUT', `${cmPath}/cm-${n % CONFIGMAPS}`, configMap(n % CONFIGMAPS, n));
  };

  note(`warm-up: ${WARMUP_WRITES} writes of ${OBJECT_BYTES / 1024} KiB`);
  const rssAtStart = rssOf(child.pid);
  for (let i = 0; i < WARMUP_WRITES; i += 8) await Promise.all(Array.from({ length: 8 }, write));

  /** Paced writes and, alongside, one GET after another; the GET latencies and the peak RSS of the phase. */
  const phase = async () => {
    let writing = true;
    let peakRss = rssOf(child.pid);
    const latencies = [];
    const phaseStart = performance.now();
    /** GETs once the stuck sockets' kernel buffers (about 4 MiB each) are full: from STEADY_AFTER_MS into the phase. */
    const steady = [];
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(child.pid))), 250);
    const reader = (async () => {
      while (writing) {
        const started = performance.now();
        await request('GET', `${cmPath}/cm-0`);
        latencies.push(performance.now() - started);
        if (started - phaseStart >= STEADY_AFTER_MS) steady.push(performance.now() - started);
        await sleep(20);
      }
    })();
    const started = performance.now();
    for (let i = 0; i < PHASE_WRITES; i++) {
      await write();
      const due = started + ((i + 1) * 1000) / WRITES_PER_SECOND;
      if (due > performance.now()) await sleep(due - performance.now());
    }
    writing = false;
    await reader;
    clearInterval(sampler);
    return { p99: p99(latencies), steadyP99: p99(steady), peakRss, gets: latencies.length };
  };

  note(`phase 1: ${PHASE_WRITES} writes at ${WRITES_PER_SECOND}/s with GETs, no stuck watchers`);
  const rssBeforeQuiet = rssOf(child.pid);
  const quiet = await phase();
  const rssBefore = rssOf(child.pid);

  note(`phase 2: the same with ${STUCK_WATCHERS} watchers that never read`);
  const stuck = [];
  for (let i = 0; i < STUCK_WATCHERS; i++) {
    const socket = tls.connect({ host: origin.hostname, port: Number(origin.port), ...tlsOptions });
    const watcher = { socket, reading: false, tail: '', closed: false, opened: false };
    const watchRequest = `GET ${cmPath}?watch=true HTTP/1.1\r\nHost: x\r\n\r\n`;
    socket.on('secureConnect', () => socket.write(watchRequest));
    socket.on('data', (chunk) => {
      watcher.opened = true;
      watcher.tail = (watcher.tail + chunk.toString('latin1')).slice(-16);
      if (!watcher.reading) socket.pause();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (watcher.closed = true));
    stuck.push(watcher);
  }
  while (stuck.some((w) => !w.opened)) await sleep(50);
  // Their first answers (an ADDED per ConfigMap) go out before the measured writes start.
  await sleep(3_000);
  const loaded = await phase();

  // The grace a watcher behind gets, then read what is left: a closed watch ends (or its connection does).
  await sleep(7_000);
  for (const watcher of stuck) {
    watcher.reading = true;
    watcher.socket.resume();
  }
  const ended = (w) => w.closed || w.tail.endsWith('\r\n0\r\n\r\n');
  for (let waited = 0; waited < 30_000 && !stuck.every(ended); waited += 250) await sleep(250);
  const closed = stuck.filter(ended).length;
  for (const watcher of stuck) watcher.socket.destroy();
  const rssAfterWatchers = rssOf(child.pid);

  note(`${SLOW_CONNECTIONS} idle and slowloris connections`);
  const net = await import('node:net');
  const slow = [];
  for (let i = 0; i < SLOW_CONNECTIONS; i++) {
    // Half never start TLS; half finish the handshake, then send headers a line every 5 s.
    const idle = i % 2 === 0;
    const connection = { established: false, closed: false, idle };
    const socket = idle
      ? net.connect(Number(origin.port), origin.hostname, () => (connection.established = true))
      : tls.connect({ host: origin.hostname, port: Number(origin.port), ...tlsOptions }, () => {
          connection.established = true;
          socket.write(`GET ${cmPath} HTTP/1.1\r\nHost: x\r\n`);
          connection.drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 5_000);
        });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      connection.closed = true;
      clearInterval(connection.drip);
    });
    connection.socket = socket;
    slow.push(connection);
  }
  while (slow.some((c) => !c.established && !c.closed)) await sleep(50);
  const allOpenAt = performance.now();
  const heldEarly = slow.filter((c) => !c.closed).length;
  const rssWithSlow = rssOf(child.pid);
  // The header timeout (32 s) runs from each connection's start; Node looks for expired ones every 2 s.
  let heldAfterTimeout = heldEarly;
  while (heldAfterTimeout > 0 && performance.now() - allOpenAt < 45_000) {
    await sleep(500);
    heldAfterTimeout = slow.filter((c) => !c.closed).length;
  }
  const lastClosedAfter = (performance.now() - allOpenAt) / 1000;
  const heldSilent = slow.filter((c) => c.idle && !c.closed).length;
  // What the server still holds is closed from this side, or the server's shutdown would wait for it.
  for (const connection of slow) {
    clearInterval(connection.drip);
    connection.socket.destroy();
  }

  agent.destroy();
  report('stuck-watchers', [
    { metric: 'server RSS at start', value: mib(rssAtStart), unit: 'MiB' },
    { metric: `server RSS after ${WARMUP_WRITES} warm-up writes`, value: mib(rssBeforeQuiet), unit: 'MiB' },
    { metric: `RSS growth over phase 1, no watchers (peak - before)`, value: mib(quiet.peakRss - rssBeforeQuiet), unit: 'MiB' },
    {
      metric: `RSS growth with ${STUCK_WATCHERS} stuck watchers over ${PHASE_WRITES} writes of ${OBJECT_BYTES / 1024} KiB (peak - before)`,
      value: mib(loaded.peakRss - rssBefore),
      unit: 'MiB',
      target: { op: '<=', value: 100 },
    },
    { metric: 'server RSS once the stuck watchers were closed', value: mib(rssAfterWatchers), unit: 'MiB' },
    { metric: `GET p99 while writing, no stuck watchers (${quiet.gets} GETs)`, value: quiet.p99, unit: 'ms' },
    { metric: `GET p99 while writing, ${STUCK_WATCHERS} stuck watchers (${loaded.gets} GETs)`, value: loaded.p99, unit: 'ms' },
    { metric: 'GET p99 ratio, stuck watchers / none', value: loaded.p99 / quiet.p99, unit: 'x', target: { op: '<=', value: 2 } },
    {
      metric: `GET p99 ratio from ${STEADY_AFTER_MS / 1000} s into each phase (stuck sockets' buffers full)`,
      value: loaded.steadyP99 / quiet.steadyP99,
      unit: 'x',
    },
    {
      metric: 'stuck watchers closed by the server',
      value: closed,
      unit: `of ${STUCK_WATCHERS}`,
      target: { op: '>=', value: STUCK_WATCHERS },
    },
    { metric: `idle/slowloris connections held once all ${SLOW_CONNECTIONS} are open`, value: heldEarly, unit: 'connections' },
    { metric: 'server RSS holding them', value: mib(rssWithSlow), unit: 'MiB' },
    {
      metric: 'idle/slowloris connections still held 45 s after all were open (header timeout 32 s)',
      value: heldAfterTimeout,
      unit: 'connections',
      target: { op: '<=', value: 0 },
    },
    { metric: 'of those, connections that never started TLS', value: heldSilent, unit: 'connections' },
    { metric: 'the last of them closed after', value: lastClosedAfter, unit: 's' },
  ]);
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await dataDir.remove();
  await workDir.remove();
}
