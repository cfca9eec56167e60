// (d) Watch fan-out: 100 HTTPS watchers on one namespace's ConfigMaps, then
// N creates (through the in-process client, one after another); every watcher
// must see every ADDED, in order, exactly once.
import { Worker } from 'node:worker_threads';
import { clientCredentials, configMap, createNamespace, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { note, report } from './lib/report.mjs';

const WATCHERS = 100;
const CREATES = 1000;
const NAMESPACE = 'bench';
const NAME_PREFIX = 'w';
const TIMEOUT_MS = 120_000;

const dataDir = await temporaryDirectory('watch-data');
const workDir = await temporaryDirectory('watch-work');
try {
  const emulator = await startQuietEmulator(dataDir.path, workDir.path);
  try {
    const credentials = await clientCredentials(emulator);
    await createNamespace(emulator.client, NAMESPACE);
    const worker = new Worker(new URL('./lib/watch-worker.mjs', import.meta.url), {
      workerData: {
        origin: emulator.url,
        ca: credentials.ca,
        token: credentials.token,
        path: `/api/v1/namespaces/${NAMESPACE}/configmaps?watch=true&timeoutSeconds=${TIMEOUT_MS / 1000}`,
        watchers: WATCHERS,
        expected: CREATES,
        namePrefix: NAME_PREFIX,
        timeoutMs: TIMEOUT_MS,
      },
    });
    const messages = [];
    let wake;
    worker.on('message', (message) => {
      messages.push(message);
      wake?.();
    });
    const nextMessage = async () => {
      while (messages.length === 0) await new Promise((resolve) => (wake = resolve));
      return messages.shift();
    };
    const opened = await nextMessage();
    if (opened.reason !== 'open') throw new Error(`watchers did not open: ${opened.reason}`);
    note(`${WATCHERS} watchers open; creating ${CREATES} ConfigMaps`);

    const firstCreateAt = performance.timeOrigin + performance.now();
    for (let index = 0; index < CREATES; index += 1) await emulator.client.create(configMap(NAMESPACE, `${NAME_PREFIX}-${index}`));
    const lastCreateAt = performance.timeOrigin + performance.now();
    const outcome = await nextMessage();
    await worker.terminate();

    const complete = outcome.streams.filter((stream) => stream.seen === CREATES && stream.outOfOrder === 0).length;
    const allDoneAt = Math.max(...outcome.streams.map((stream) => stream.completedAt ?? Infinity));
    note(
      `outcome ${outcome.reason}; events seen per watcher: min ${Math.min(...outcome.streams.map((s) => s.seen))}, max ${Math.max(...outcome.streams.map((s) => s.seen))}`,
    );
    report('watch-fanout', [
      {
        metric: `watchers that saw all ${CREATES} ADDED in order`,
        value: complete,
        unit: `of ${WATCHERS}`,
        target: { op: '>=', value: WATCHERS },
      },
      {
        metric: `${CREATES} in-process creates while ${WATCHERS} watch`,
        value: CREATES / ((lastCreateAt - firstCreateAt) / 1000),
        unit: 'creates/s',
      },
      { metric: 'events delivered to watchers', value: (WATCHERS * CREATES) / ((allDoneAt - firstCreateAt) / 1000), unit: 'events/s' },
      { metric: 'last watcher done after the last create', value: (allDoneAt - lastCreateAt) / 1000, unit: 's' },
    ]);
  } finally {
    await emulator.stop();
  }
} finally {
  await dataDir.remove();
  await workDir.remove();
}
