// Durable state (issue 17), one run: ConfigMap creates/s and GETs/s over HTTPS with the cluster kept in an SQLite
// state file and in a one-member local etcd (etcd-server), as ratios of the same figures in memory (goals: >= 0.5 for creates, which wait for their group commit;
// >= 0.95 for GETs, which never touch the backend); then the time from `startEmulator` to ready on a state file
// holding 10,000 ConfigMaps (goal <= 2 s), beside an empty in-memory start; then two emulators on one etcd: how long
// after a create is sent to one a watch on the other sees it (goal: within 1 s).
import { join } from 'node:path';
import { clientCredentials, configMap, createNamespace, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { startEtcd } from './lib/etcd.mjs';
import { measureLoad } from './lib/load.mjs';
import { note, report } from './lib/report.mjs';

const CONCURRENCY = 32;
const DURATION_MS = 4000;
const WARMUP_MS = 1500;
const NAMESPACE = 'bench';
const STORED_OBJECTS = 10_000;

async function rates(storage) {
  const dataDir = await temporaryDirectory(`durable-${storage}`);
  const workDir = await temporaryDirectory(`durable-${storage}-work`);
  const stateFile = storage === 'sqlite' ? join(dataDir.path, 'state.db') : undefined;
  const etcd = storage === 'etcd' ? await startEtcd(dataDir.path) : undefined;
  const emulator = await startQuietEmulator(dataDir.path, workDir.path, { workers: 0, stateFile, etcdServers: etcd && [etcd.url] });
  try {
    const credentials = await clientCredentials(emulator);
    await createNamespace(emulator.client, NAMESPACE);
    await emulator.client.create(configMap(NAMESPACE, 'target'));
    const load = (request) =>
      measureLoad({
        origin: emulator.url,
        ...credentials,
        concurrency: CONCURRENCY,
        warmupMs: WARMUP_MS,
        durationMs: DURATION_MS,
        request,
      });
    const creates = await load({ kind: 'create', path: `/api/v1/namespaces/${NAMESPACE}/configmaps`, namePrefix: 'cm', expectStatus: 201 });
    const gets = await load({ kind: 'get', path: `/api/v1/namespaces/${NAMESPACE}/configmaps/target`, expectStatus: 200 });
    note(`${storage}: ${creates.perSecond.toFixed(0)} creates/s, ${gets.perSecond.toFixed(0)} GETs/s`);
    return { creates: creates.perSecond, gets: gets.perSecond };
  } finally {
    await emulator.stop();
    etcd?.stop();
    await dataDir.remove();
    await workDir.remove();
  }
}

async function timedStart(dataDir, workDir, options) {
  const started = performance.now();
  const emulator = await startQuietEmulator(dataDir, workDir, { workers: 0, ...options });
  return { emulator, ms: performance.now() - started };
}

async function restartToReady() {
  const dataDir = await temporaryDirectory('durable-restart');
  const workDir = await temporaryDirectory('durable-restart-work');
  const stateFile = join(dataDir.path, 'state.db');
  try {
    const empty = await timedStart(dataDir.path, workDir.path, {});
    await empty.emulator.stop();
    const first = await timedStart(dataDir.path, workDir.path, { stateFile });
    await createNamespace(first.emulator.client, NAMESPACE);
    for (let i = 0; i < STORED_OBJECTS; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => first.emulator.client.create(configMap(NAMESPACE, `stored-${i + j}`))));
    }
    await first.emulator.stop();
    const restarted = await timedStart(dataDir.path, workDir.path, { stateFile });
    const count = (await restarted.emulator.client.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: NAMESPACE })).items.length;
    await restarted.emulator.stop();
    if (count < STORED_OBJECTS) throw new Error(`only ${count} of ${STORED_OBJECTS} ConfigMaps came back`);
    note(`start in memory (empty): ${empty.ms.toFixed(0)} ms; from a state file with ${count} ConfigMaps: ${restarted.ms.toFixed(0)} ms`);
    return { emptyMs: empty.ms, restartMs: restarted.ms };
  } finally {
    await dataDir.remove();
    await workDir.remove();
  }
}

const WATCH_SAMPLES = 100;

/**
 * Creates through emulator a, one at a time, and the delay from sending each until a watch on emulator b (same etcd)
 * has it (so it includes a's own etcd round trip): p50, p99, max.
 */
async function crossEmulatorWatch() {
  const dataDir = await temporaryDirectory('durable-two');
  const etcd = await startEtcd(dataDir.path);
  const dirs = await Promise.all(['a', 'b', 'a-work', 'b-work'].map((name) => temporaryDirectory(`durable-two-${name}`)));
  const [a, b] = [
    await startQuietEmulator(dirs[0].path, dirs[2].path, { workers: 0, etcdServers: [etcd.url], nodePrefix: 'a' }),
    await startQuietEmulator(dirs[1].path, dirs[3].path, { workers: 0, etcdServers: [etcd.url], nodePrefix: 'b' }),
  ];
  try {
    const namespace = 'two-emulators';
    await createNamespace(a.client, namespace);
    const arrived = new Map();
    const subscription = b.client
      .watch({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace })
      .subscribe((event) => arrived.get(event.object.metadata.name)?.(performance.now()));
    const delays = [];
    let seenBeforeAnswer = 0;
    for (let i = 0; i < WATCH_SAMPLES; i++) {
      const name = `seen-${i}`;
      const seen = new Promise((resolve) => arrived.set(name, resolve));
      // From the request on: a answers once its own watch has the write, so b's watch often has it before a answers.
      const sent = performance.now();
      await a.client.create(configMap(namespace, name));
      const acknowledged = performance.now();
      const seenAt = await seen;
      if (seenAt <= acknowledged) seenBeforeAnswer++;
      delays.push(seenAt - sent);
    }
    subscription.unsubscribe();
    delays.sort((x, y) => x - y);
    const at = (q) => delays[Math.min(delays.length - 1, Math.floor(delays.length * q))];
    note(
      `a create sent to one emulator seen by a watch on the other: p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, ` +
        `max ${delays.at(-1).toFixed(1)} ms (${seenBeforeAnswer} of ${WATCH_SAMPLES} seen before the sender answered)`,
    );
    return { p50: at(0.5), p99: at(0.99), max: delays.at(-1) };
  } finally {
    await a.stop();
    await b.stop();
    etcd.stop();
    for (const dir of [dataDir, ...dirs]) await dir.remove();
  }
}

const memory = await rates('memory');
const sqlite = await rates('sqlite');
const etcd = await rates('etcd');
const restart = await restartToReady();
const twoEmulators = await crossEmulatorWatch();
report('durable-store', [
  {
    metric: 'creates/s, SQLite state file / in memory',
    value: sqlite.creates / memory.creates,
    unit: 'ratio',
    target: { op: '>=', value: 0.5 },
  },
  { metric: 'GETs/s, SQLite state file / in memory', value: sqlite.gets / memory.gets, unit: 'ratio', target: { op: '>=', value: 0.95 } },
  { metric: 'creates/s, local etcd / in memory', value: etcd.creates / memory.creates, unit: 'ratio' },
  { metric: 'GETs/s, local etcd / in memory', value: etcd.gets / memory.gets, unit: 'ratio', target: { op: '>=', value: 0.95 } },
  {
    metric: `start to ready from a state file with ${STORED_OBJECTS} ConfigMaps`,
    value: restart.restartMs,
    unit: 'ms',
    target: { op: '<=', value: 2000 },
  },
  { metric: 'start to ready in memory, empty (same run)', value: restart.emptyMs, unit: 'ms' },
  { metric: 'create sent to one emulator -> watch on another (one etcd), p50', value: twoEmulators.p50, unit: 'ms' },
  { metric: 'create sent to one emulator -> watch on another (one etcd), p99', value: twoEmulators.p99, unit: 'ms' },
  {
    metric: `create sent to one emulator -> watch on another (one etcd), slowest of ${WATCH_SAMPLES}`,
    value: twoEmulators.max,
    unit: 'ms',
    target: { op: '<=', value: 1000 },
  },
]);
