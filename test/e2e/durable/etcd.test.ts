// `serve --etcd-servers`: two emulators on one 3-member etcd cluster are HA API servers of one cluster. Objects sit
// under kube-apiserver's key layout with resourceVersion = etcd's revision; a write through one is seen by a watch on
// the other; killing an etcd member leaves the cluster serving. Real etcd (Debian's etcd-server), real processes.
// Killing an emulator (Leases, NotReady nodes, KubeVirt's node failure handling) is etcd-failover.test.ts; a virtual clock
// on etcd is etcd-virtual-clock.test.ts.
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
let first = await serve('a');
let a = first.api;
const bServe = await serve('b', ['--node-prefix', 'b', '--workers', '1', '--seed', '2']);
const b = bServe.api;
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

t.test('a node registered at the same instant with the same addresses as b-worker, but first: b moves b-worker', async (t) => {
  type NodeJson = {
    metadata: Record<string, unknown>;
    spec: { podCIDR?: string };
    status: { addresses: { type: string; address: string }[] };
  };
  const placeOf = (node: NodeJson) => `${node.status.addresses.find((a) => a.type === 'InternalIP')?.address} ${node.spec.podCIDR}`;
  const worker = (await b.send('GET', '/api/v1/nodes/b-worker')).json as unknown as NodeJson;
  const taken = placeOf(worker);
  // What another emulator starting at the same instant would have written: b-worker's place, an earlier registration.
  const { uid: _, resourceVersion: __, managedFields: ___, ...metadata } = worker.metadata;
  const intruder = { ...worker, metadata: { ...metadata, name: 'aa-worker', creationTimestamp: '2026-01-01T00:00:00Z' } };
  const client = new Etcd3({ hosts: etcd.endpoints });
  t.teardown(() => client.close());
  await client.put('/registry/minions/aa-worker').value(JSON.stringify({ ...intruder, metadata: { ...intruder.metadata, uid: 'aa' } }));
  let moved = worker;
  for (let wait = 0; wait < 100 && placeOf(moved) === taken; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = await b.send('GET', '/api/v1/nodes/b-worker');
    if (answer.status === 200) moved = answer.json as unknown as NodeJson;
  }
  t.not(placeOf(moved), taken, `b-worker moved from ${taken} to ${placeOf(moved)}`);
  // a may be a watch delivery behind b: it lists b-worker's new place once etcd's watch brought it.
  const placesOnA = async () => ((await a.send('GET', '/api/v1/nodes')).json.items as NodeJson[]).map(placeOf);
  let nodes = await placesOnA();
  for (let wait = 0; wait < 50 && new Set(nodes).size !== nodes.length; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    nodes = await placesOnA();
  }
  t.equal(new Set(nodes).size, nodes.length, `every node has an InternalIP and pod CIDR of its own: ${nodes.join(', ')}`);
  await client.delete().key('/registry/minions/aa-worker');
});

t.test("an Event is stored with an etcd lease of kube-apiserver's --event-ttl (1 h), so etcd removes it", async (t) => {
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'leased.1' },
    involvedObject: { kind: 'ConfigMap', namespace: 'default', name: 'through-a' },
    reason: 'Test',
    message: 'kept for an hour',
    type: 'Normal',
  };
  const created = await a.send('POST', '/api/v1/namespaces/default/events', { body: event });
  t.equal(created.status, 201, created.text);
  const client = new Etcd3({ hosts: etcd.endpoints });
  t.teardown(() => client.close());
  const kv = (await client.get('/registry/events/default/leased.1').exec()).kvs[0];
  t.not(kv?.lease ?? '0', '0', 'the key is attached to a lease');
  const lease = await client.leaseClient.leaseTimeToLive({ ID: kv!.lease });
  // Granted for the TTL and kube's reuse window (min(60 s, 5% of the TTL)), so several Events share one lease.
  t.equal(Number(lease.grantedTTL), 3600 + 60);
  t.ok(Number(lease.TTL) > 3600, `${lease.TTL} s left`);
  const configMapKey = (await client.get('/registry/configmaps/default/through-a').exec()).kvs[0];
  t.equal(configMapKey?.lease, '0', 'other objects have none');

  // events.k8s.io/v1 is served from the same registry: the same key prefix and lease, read back as core/v1.
  const eventsV1 = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'leased.2' },
    eventTime: '2026-11-24T16:00:00.000000Z',
    reportingController: 'example.com/tester',
    reportingInstance: 'tester-1',
    action: 'Testing',
    reason: 'Test',
    regarding: { kind: 'ConfigMap', namespace: 'default', name: 'through-a' },
    note: 'kept for an hour too',
    type: 'Normal',
  };
  const createdV1 = await a.send('POST', '/apis/events.k8s.io/v1/namespaces/default/events', { body: eventsV1 });
  t.equal(createdV1.status, 201, createdV1.text);
  const kvV1 = (await client.get('/registry/events/default/leased.2').exec()).kvs[0];
  t.not(kvV1?.lease ?? '0', '0', 'an events.k8s.io/v1 Event is kept under /registry/events with a lease');
  const asCore = await a.send('GET', '/api/v1/namespaces/default/events/leased.2');
  t.equal(asCore.status, 200, asCore.text);
  t.match(asCore.json, {
    apiVersion: 'v1',
    message: 'kept for an hour too',
    involvedObject: { name: 'through-a' },
    reportingComponent: 'example.com/tester',
  });
});

t.test('concurrent creates, patches and deletes through both emulators: no spurious 409 or 500, one resourceVersion on both', async (t) => {
  const COUNT = 30;
  const ROUNDS = 3;
  const names = Array.from({ length: COUNT }, (_, i) => `storm-${i}`);
  const via = (i: number) => (i % 2 === 0 ? a : b);
  const from = metaOf((await a.send('GET', CMS)).json).resourceVersion;
  // Watches on both, from before the storm: each must see every write once, in increasing resourceVersion order. The
  // server ends them after a fixed time, which must outlast the storm: 12 s cut off its last write on a loaded machine.
  const watches = [watchEvents(a, from, 40), watchEvents(b, from, 40)];
  const expectStatus = (answers: { status: number; text: string }[], status: number, what: string) => {
    const wrong = answers.filter((answer) => answer.status !== status);
    t.same(
      wrong.map((answer) => answer.text),
      [],
      `every ${what} answers ${status}`,
    );
  };

  // Creates through both at once: each compares only its own key, so the other server's writes never refuse it.
  const created = await Promise.all(names.map((name, i) => via(i).send('POST', CMS, { body: configMap(name) })));
  expectStatus(created, 201, 'create');
  // Each round patches every object through both servers at once: one of the two loses its etcd compare and is
  // computed again on the newer object, as GuaranteedUpdate does; neither may answer 409 or lose the other's field.
  const merge = { 'content-type': 'application/merge-patch+json' };
  for (let round = 0; round < ROUNDS; round++) {
    const patched = await Promise.all(
      names.flatMap((name, i) =>
        [0, 1].map((side) =>
          via(i + side).send('PATCH', `${CMS}/${name}`, { body: { data: { [`r${round}s${side}`]: 'x' } }, headers: merge }),
        ),
      ),
    );
    expectStatus(patched, 200, `patch of round ${round}`);
  }
  // Deletes of half through the server that did not create them, while the other half is patched once more.
  const last = await Promise.all(
    names.map((name, i) =>
      i < COUNT / 2
        ? via(i + 1).send('DELETE', `${CMS}/${name}`)
        : via(i + 1).send('PATCH', `${CMS}/${name}`, { body: { data: { last: 'x' } }, headers: merge }),
    ),
  );
  expectStatus(last, 200, 'delete and last patch');

  const client = new Etcd3({ hosts: etcd.endpoints });
  t.teardown(() => client.close());
  const stored = new Map<string, string>();
  for (const kv of await client
    .getAll()
    .prefix('/registry/configmaps/default/storm-')
    .exec()
    .then((r) => r.kvs)) {
    stored.set(kv.key.toString().split('/').at(-1)!, String(kv.mod_revision));
  }
  t.equal(stored.size, COUNT / 2, 'etcd holds the objects not deleted');
  const seenBy = async (api: RawClient) => {
    const items = ((await api.send('GET', CMS)).json.items ?? []) as Record<string, unknown>[];
    return new Map(
      items
        .map((item) => metaOf(item))
        .filter((m) => m.name.startsWith('storm-'))
        .map((m) => [m.name, m.resourceVersion]),
    );
  };
  // b may be a watch delivery behind a; both reach etcd's state.
  let views = [await seenBy(a), await seenBy(b)];
  for (let wait = 0; wait < 50 && views.some((view) => !sameEntries(view, stored)); wait++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    views = [await seenBy(a), await seenBy(b)];
  }
  t.same([...views[0]].sort(), [...stored].sort(), 'a lists every object at its etcd mod revision');
  t.same([...views[1]].sort(), [...stored].sort(), 'b lists every object at its etcd mod revision');
  const kept = await a.send('GET', `${CMS}/${names[COUNT - 1]}`);
  const fields = Object.keys((kept.json.data ?? {}) as object).sort();
  t.same(fields, ['last', 'name', 'r0s0', 'r0s1', 'r1s0', 'r1s1', 'r2s0', 'r2s1'], 'no patch was lost');

  const writes = COUNT * (1 + 2 * ROUNDS + 1);
  for (const [side, events] of (await Promise.all(watches)).entries()) {
    const storm = events.filter((e) => metaOf(e.object).name.startsWith('storm-'));
    const versions = storm.map((e) => Number(metaOf(e.object).resourceVersion));
    t.equal(storm.length, writes, `the watch on ${side === 0 ? 'a' : 'b'} got every write once`);
    t.ok(
      versions.every((v, i) => i === 0 || v > versions[i - 1]),
      `the watch on ${side === 0 ? 'a' : 'b'} got them in increasing resourceVersion order`,
    );
  }
});

t.test('an emulator restarted on etcd serves every object at its revision; a watch from before the restart gets 410 Expired', async (t) => {
  const from = metaOf((await a.send('GET', CMS)).json).resourceVersion;
  // A write after `from`, so that etcd's revision when a starts again is past it.
  const created = await b.send('POST', CMS, { body: configMap('before-restart') });
  t.equal(created.status, 201, created.text);
  // The test's own ConfigMaps: kube-root-ca.crt is rewritten by whichever emulator leads kube-controller-manager,
  // with its own CA (each emulator has one), and the lead moves to b while a is stopped.
  const ours = (list: Record<string, unknown>) =>
    (list.items as Record<string, unknown>[]).map((item) => metaOf(item)).filter((meta) => meta.name !== 'kube-root-ca.crt');
  const listed = await b.send('GET', CMS);
  const before = ours(listed.json);
  first.serve.child.kill('SIGTERM');
  t.equal(await first.serve.exited, 0, 'a clean stop');
  first = await serve('a');
  a = first.api;
  const relisted = await a.send('GET', CMS);
  t.same(ours(relisted.json), before, 'every object with its uid and resourceVersion');
  t.ok(
    Number(metaOf(relisted.json).resourceVersion) >= Number(metaOf(listed.json).resourceVersion),
    'the list resourceVersion does not go back',
  );
  // The new watch cache starts at etcd's revision then: an older resourceVersion is gone, as after a kube-apiserver restart.
  const started = Date.now();
  const events = await watchEvents(a, from, 4);
  t.ok(Date.now() - started < 5_000, 'the watch answered within 5 s');
  t.match(events, [{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }], 'one ERROR event: 410 Expired');
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

function sameEntries(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}
