// `serve` keeps the cluster in its data dir: after SIGTERM or kill -9 a new `serve` on the same dir answers every
// acknowledged object with its uid and resourceVersion, resourceVersions keep growing, and a watch from before the
// restart gets the events it missed. Real processes and raw HTTPS. (The lock: state-faults.test.ts.)
import t from 'tap';
import { join } from 'node:path';
import { startServe, type ServeProcess } from '../../helpers/cli-process.js';
import { rawClient, type RawClient } from '../../helpers/raw-https.js';

const dir = t.testdir();
const dataDir = join(dir, 'data');
const kubeconfig = join(dir, 'kubeconfig');
const CMS = '/api/v1/namespaces/default/configmaps';

interface Running {
  serve: ServeProcess;
  api: RawClient;
}

async function serve(): Promise<Running> {
  const started = await startServe(t, [
    '--port',
    '0',
    '--workers',
    '0',
    '--data-dir',
    dataDir,
    '--kubeconfig',
    kubeconfig,
    '--log-level',
    'error',
  ]);
  return { serve: started, api: rawClient(started.url, kubeconfig) };
}

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { name } });
const metaOf = (json: Record<string, unknown>) => json.metadata as { uid: string; resourceVersion: string; name: string };
const listRevision = async (api: RawClient): Promise<number> => Number(metaOf((await api.send('GET', CMS)).json).resourceVersion);

/** name → "uid@resourceVersion" of every object the server acknowledged. */
const acknowledged = new Map<string, string>();

async function createSome(api: RawClient, prefix: string, count: number): Promise<void> {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => api.send('POST', CMS, { body: configMap(`${prefix}-${i}`) })));
  for (const answer of answers) {
    if (answer.status !== 201) throw new Error(`create answered ${answer.status}: ${answer.text}`);
    const meta = metaOf(answer.json);
    acknowledged.set(meta.name, `${meta.uid}@${meta.resourceVersion}`);
  }
}

async function assertKept(tt: typeof t, api: RawClient): Promise<void> {
  const list = await api.send('GET', CMS);
  const stored = new Map((list.json.items as Record<string, unknown>[]).map((item) => [metaOf(item).name, metaOf(item)]));
  const missing = [...acknowledged].filter(([name, version]) => {
    const meta = stored.get(name);
    return !meta || `${meta.uid}@${meta.resourceVersion}` !== version;
  });
  tt.same(missing, [], `all ${acknowledged.size} acknowledged objects are back with their uid and resourceVersion`);
}

let running = await serve();
t.teardown(() => running.serve.child.kill('SIGKILL'));

t.test('a restart after SIGTERM keeps every acknowledged object, its uid and resourceVersion', async (t) => {
  await createSome(running.api, 'term', 20);
  const deleted = await running.api.send('DELETE', `${CMS}/term-0`);
  t.equal(deleted.status, 200);
  acknowledged.delete('term-0');
  const before = await listRevision(running.api);
  running.serve.child.kill('SIGTERM');
  t.equal(await running.serve.exited, 0, 'a clean stop');
  running = await serve();
  await assertKept(t, running.api);
  t.equal((await running.api.send('GET', `${CMS}/term-0`)).status, 404, 'a delete is kept too');
  t.ok((await listRevision(running.api)) >= before, 'the list resourceVersion does not go back');
  const namespaces = (await running.api.send('GET', '/api/v1/namespaces')).json.items as Record<string, unknown>[];
  t.same(
    namespaces.map((ns) => metaOf(ns).name),
    ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'local-path-storage'],
    'the bootstrap namespaces are not created twice',
  );
});

t.test('a restart after kill -9 keeps every acknowledged object; a watch from before it gets what it missed', async (t) => {
  const from = await listRevision(running.api);
  await createSome(running.api, 'killed', 10);
  running.serve.child.kill('SIGKILL');
  await running.serve.exited;
  running = await serve();
  await assertKept(t, running.api);
  const afterRestart = await running.api.send('POST', CMS, { body: configMap('after-restart') });
  t.equal(afterRestart.status, 201);
  t.ok(Number(metaOf(afterRestart.json).resourceVersion) > from + 10, 'resourceVersions carry on from before the restart');

  const started = Date.now();
  const watch = await running.api.send('GET', `${CMS}?watch=true&resourceVersion=${from}&timeoutSeconds=2`);
  t.equal(watch.status, 200);
  t.ok(Date.now() - started < 5_000, 'the watch answered within 5 s');
  const events = watch.text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; object: Record<string, unknown> });
  t.same(
    events.filter((e) => e.type === 'ADDED').map((e) => metaOf(e.object).name),
    [...Array.from({ length: 10 }, (_, i) => metaOf(events[i].object).name), 'after-restart'],
    'the events written before the kill, then the one after the restart',
  );
  t.same(
    events
      .slice(0, 10)
      .map((e) => metaOf(e.object).name)
      .sort(),
    Array.from({ length: 10 }, (_, i) => `killed-${i}`).sort(),
  );
});
