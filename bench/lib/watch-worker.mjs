// Runs in a worker thread: opens `watchers` watch streams (one connection
// each), tells the parent when all are open, then checks that every stream
// delivers ADDED for prefix-0 .. prefix-(expected-1), in order, exactly once.
import https from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';

const { origin, ca, token, path, watchers, expected, namePrefix, timeoutMs } = workerData;
const agent = new https.Agent({ keepAlive: false, maxSockets: Infinity, ca });
const now = () => performance.timeOrigin + performance.now();

const streams = [];
let open = 0;
let finished = 0;

function finish(reason) {
  for (const stream of streams) stream.request.destroy();
  agent.destroy();
  parentPort.postMessage({
    reason,
    streams: streams.map(({ seen, outOfOrder, completedAt }) => ({ seen, outOfOrder, completedAt })),
  });
}

const deadline = setTimeout(() => finish('timeout'), timeoutMs);

function onEvent(stream, event) {
  if (event.type !== 'ADDED') return;
  const name = event.object?.metadata?.name ?? '';
  if (name !== `${namePrefix}-${stream.seen}`) stream.outOfOrder += 1;
  stream.seen += 1;
  if (stream.seen === expected) {
    stream.completedAt = now();
    finished += 1;
    if (finished === watchers) {
      clearTimeout(deadline);
      finish('complete');
    }
  }
}

for (let index = 0; index < watchers; index += 1) {
  const stream = { seen: 0, outOfOrder: 0, completedAt: undefined, buffer: '' };
  stream.request = https.get(
    `${origin}${path}`,
    { agent, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } },
    (response) => {
      if (response.statusCode !== 200) throw new Error(`watch answered ${response.statusCode}`);
      open += 1;
      if (open === watchers) parentPort.postMessage({ reason: 'open' });
      response.setEncoding('utf8').on('data', (chunk) => {
        stream.buffer += chunk;
        let newline;
        while ((newline = stream.buffer.indexOf('\n')) >= 0) {
          const line = stream.buffer.slice(0, newline).trim();
          stream.buffer = stream.buffer.slice(newline + 1);
          if (line) onEvent(stream, JSON.parse(line));
        }
      });
    },
  );
  stream.request.on('error', () => undefined);
  streams.push(stream);
}
