// `serve --etcd-servers`: two emulators on one 3-member etcd cluster are HA API servers of one cluster. Objects sit
// under kube-apiserver's key layout with resourceVersion = etcd's revision; a write through one is seen by a watch on
// the other; killing an etcd member leaves the cluster serving. Real etcd (Debian's etcd-server), real processes.
// Killing an emulator (Leases, NotReady nodes, KubeVirt's node failure handling) is etcd-failover.test.ts.
import t from 'tap';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { runCli, startServe, type ServeProcess } from '../../helpers/cli-process.js';
import { startEtcdCluster } from '../../helpers/etcd-cluster.js';
import { rawClient, type RawClient } from '../../helpers/raw-https.js';

const dir = t.testdir();
const etcd = await startEtcdCluster(t, dir, 3);
const CMS = '/api/v1/namespaces/default/configmaps';

async function serve(name: string, extra: string[] = []): Promise<{ api: RawClient; serve: ServeProcess }> {
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  const args = ['--port', '0', '--workers', '0', '--data-dir', join(dir, name), '--kubeconfig', kubeconfig, '--log-level', 'error'];
  const started = await startServe(t, [...args, '--etcd-servers', etcd.endpoints.join(','), ...extra]);
  return { api: rawClient(started.url, kubeconfig), serve: started };
}

// a has kind's control-plane node; b adds and simulates one node of its own, b-worker.
const [a, b] = [(await serve('a')).api, (await serve('b', ['--node-prefix', 'b', '--workers', '1', '--seed', '2'])).api];
const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { name } });
const metaOf = (json: Record<string, unknown>) => json.metadata as { uid: string; resourceVersion: string; name: string };

/** The events a watch on `api` from `resourceVersion` gets within `seconds` (the server ends the watch then). */
async function watchEvents(api: RawClient, resourceVersion: string, seconds: number) {
  const answer = await api.send('GET', `${CMS}?watch=true&resourceVersion=${resourceVersion}&timeoutSeconds=${seconds}`);
  return answer.text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { type: string; object: Record<string, unknown> });
}

t.test('an unreachable etcd at start: exit 1 with a message naming it', async (t) => {
  const dead = 'http://127.0.0.1:1';
  const run = await runCli([
    'serve',
    '--port',
    '0',
    '--data-dir',
    join(dir, 'dead'),
    '--kubeconfig',
    join(dir, 'dead.kubeconfig'),
    '--etcd-servers',
    dead,
  ]);
  t.equal(run.code, 1, run.stderr);
  t.match(run.stderr, `kubevirt-emulator: cannot use etcd at ${dead}: `);
});

t.test('a write through one emulator reaches a watch on the other, with etcd revision as resourceVersion', async (t) => {
  const listed = await b.send('GET', CMS);
  const from = metaOf(listed.json).resourceVersion;
  const events = watchEvents(b, from, 5);
  const created = await a.send('POST', CMS, { body: configMap('through-a') });
  t.equal(created.status, 201, created.text);
  const seen = (await events).find((e) => metaOf(e.object).name === 'through-a');
  t.equal(seen?.type, 'ADDED', 'the watch on b got the ADDED event within its 5 s');
  t.equal(seen && metaOf(seen.object).resourceVersion, metaOf(created.json).resourceVersion, 'with the same resourceVersion');

  const client = new Etcd3({ hosts: etcd.endpoints });
  t.teardown(() => client.close());
  const kv = (await client.get('/registry/configmaps/default/through-a').exec()).kvs[0];
  t.ok(kv, 'stored under kube-apiserver key /registry/configmaps/default/through-a');
  t.equal(kv && String(kv.mod_revision), metaOf(created.json).resourceVersion, "resourceVersion is the key's etcd mod revision");
  const nodeKeys = await client.getAll().prefix('/registry/minions/').keys();
  t.ok(nodeKeys.length > 0, `nodes under /registry/minions/ (${nodeKeys.join(', ')})`);
});

t.test('killing one etcd member leaves both emulators serving', async (t) => {
  await etcd.kill(0);
  const created = await b.send('POST', CMS, { body: configMap('after-kill') });
  t.equal(created.status, 201, created.text);
  const read = await a.send('GET', `${CMS}/after-kill`);
  const deadline = Date.now() + 10_000;
  let got = read;
  while (got.status === 404 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    got = await a.send('GET', `${CMS}/after-kill`);
  }
  t.equal(got.status, 200, 'a reads what b wrote after the member died');
  t.equal(metaOf(got.json).uid, metaOf(created.json).uid);
});

t.test('without an etcd quorum a write answers 500 ServerTimeout, and writes work again once etcd is back', async (t) => {
  await etcd.kill(1);
  const refused = await a.send('POST', CMS, { body: configMap('no-quorum') });
  t.equal(refused.status, 500, refused.text);
  t.equal(refused.json.reason, 'ServerTimeout');
  t.equal(refused.json.message, 'The create operation against configmaps could not be completed at this time, please try again.');
  t.equal((await a.send('GET', `${CMS}/no-quorum`)).status, 404, 'the refused write is not served');

  etcd.restart(0);
  etcd.restart(1);
  let created = refused;
  for (let attempt = 0; attempt < 60 && created.status !== 201; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    created = await b.send('POST', CMS, { body: configMap('quorum-back') });
  }
  t.equal(created.status, 201, `b writes again once the members are back: ${created.text}`);
  let seen = await a.send('GET', `${CMS}/quorum-back`);
  for (let attempt = 0; attempt < 60 && seen.status !== 200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    seen = await a.send('GET', `${CMS}/quorum-back`);
  }
  t.equal(seen.status, 200, 'and a follows etcd again');
});
