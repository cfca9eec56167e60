// Runs in a worker thread so the load generator has its own event loop and
// does not steal the server's: keeps `concurrency` requests in flight over
// keep-alive connections for a warm-up, then counts completions for the
// measured window.
import http from 'node:http';
import https from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';

const { origin, ca, token, extraHeaders, concurrency, warmupMs, durationMs, request: spec } = workerData;
const url = new URL(origin);
const transport = url.protocol === 'https:' ? https : http;
const agent = new transport.Agent({ keepAlive: true, maxSockets: concurrency, ...(ca && { ca }) });
const headers = { Accept: 'application/json', ...(token && { Authorization: `Bearer ${token}` }), ...extraHeaders };

let sequence = 0;

/** The method, path and body of the next request: a fixed GET, or a POST of a uniquely named ConfigMap. */
function nextRequest() {
  if (spec.kind === 'get') return { method: 'GET', path: spec.path };
  sequence += 1;
  const name = `${spec.namePrefix}-${sequence}`;
  const body = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { bench: 'true' } },
    data: { key: 'value' },
  });
  return { method: 'POST', path: spec.path, body };
}

function send({ method, path, body }) {
  return new Promise((resolve, reject) => {
    const requestHeaders =
      body === undefined ? headers : { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    const request = transport.request(
      { hostname: url.hostname, port: url.port, method, path, agent, headers: requestHeaders },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const started = performance.now();
const measureFrom = started + warmupMs;
const measureUntil = measureFrom + durationMs;
const statuses = {};
let completed = 0;
let failures = 0;

async function lane() {
  while (performance.now() < measureUntil) {
    let status;
    try {
      status = await send(nextRequest());
    } catch {
      failures += 1;
      continue;
    }
    const now = performance.now();
    if (now >= measureFrom && now <= measureUntil) {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === spec.expectStatus) completed += 1;
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, lane));
agent.destroy();
parentPort.postMessage({ completed, failures, statuses, seconds: durationMs / 1000 });
