import t from 'tap';
import type { KubeObject } from '../../../src/api/types.js';
import { VirtualClock } from '../../../src/runtime/clock.js';
import { Controller, type ReconcileResult } from '../../../src/runtime/controller.js';
import { Informer } from '../../../src/runtime/informer.js';
import type { Logger } from '../../../src/runtime/logger.js';
import { FakeClient } from './fake-client.js';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const configMap = (name: string): KubeObject => ({ ...CM, metadata: { namespace: 'ns', name } });

async function setup(reconcile: (key: string) => Promise<ReconcileResult>, workers = 1) {
  const clock = new VirtualClock();
  const client = new FakeClient();
  const informer = new Informer(client, CM, {}, { clock });
  const errors: string[] = [];
  const logger: Logger = { info: () => {}, error: (message) => errors.push(message) };
  const controller = new Controller({ name: 'test-controller', clock, reconcile, workers, logger }).watch(informer);
  informer.start();
  await controller.start();
  return { clock, client, informer, controller, errors };
}

t.test('reconciles the key of an object when it is added, updated and deleted', async (t) => {
  const reconciled: string[] = [];
  const { client, clock, controller, informer } = await setup(async (key) => void reconciled.push(key));
  await client.create(configMap('a'));
  await clock.advance(0);
  await client.patch(CM, 'ns', 'a', 'merge', { data: { x: '1' } });
  await clock.advance(0);
  await client.delete(CM, 'ns', 'a');
  await clock.advance(0);
  t.same(reconciled, ['ns/a', 'ns/a', 'ns/a'], 'add, update, delete');
  await controller.stop();
  informer.stop();
});

t.test('changes piling up while a key waits are reconciled once (level-triggered)', async (t) => {
  const reconciled: string[] = [];
  let release: () => void = () => {};
  const { client, clock, controller, informer } = await setup(async (key) => {
    reconciled.push(key);
    if (key === 'ns/blocker') await new Promise<void>((resolve) => (release = resolve));
  });
  await client.create(configMap('blocker'));
  await clock.advance(0);
  await client.create(configMap('a'));
  for (let i = 0; i < 5; i++) await client.patch(CM, 'ns', 'a', 'merge', { data: { i: String(i) } });
  release();
  await clock.advance(0);
  t.same(reconciled, ['ns/blocker', 'ns/a']);
  await controller.stop();
  informer.stop();
});

t.test('a failing reconcile is logged and retried with back-off until it succeeds', async (t) => {
  const attempts: number[] = [];
  const { client, clock, controller, informer, errors } = await setup(async () => {
    attempts.push(clock.nowMs());
    if (attempts.length < 4) throw new Error('not yet');
  });
  const start = clock.nowMs();
  await client.create(configMap('a'));
  await clock.runUntilIdle();
  t.same(
    attempts.map((ms) => ms - start),
    [0, 5, 15, 35],
  );
  t.equal(errors.length, 3);
  t.match(errors[0], /test-controller: reconcile of "ns\/a" failed \(retry 1\)/);
  t.equal(clock.pendingTimers().length, 0, 'no retry after success');
  await controller.stop();
  informer.stop();
});

t.test('requeueAfterMs brings the key back after that time', async (t) => {
  const times: number[] = [];
  const { client, clock, controller, informer } = await setup(async () => {
    times.push(clock.nowMs());
    return times.length < 3 ? { requeueAfterMs: 30_000 } : undefined;
  });
  const start = clock.nowMs();
  await client.create(configMap('a'));
  await clock.runUntilIdle();
  t.same(
    times.map((ms) => ms - start),
    [0, 30_000, 60_000],
  );
  await controller.stop();
  informer.stop();
});

t.test('N workers run different keys concurrently, never one key twice at once', async (t) => {
  let running = 0;
  let maxRunning = 0;
  const inFlight = new Set<string>();
  let overlap = false;
  const { client, clock, controller, informer } = await setup(async (key) => {
    if (inFlight.has(key)) overlap = true;
    inFlight.add(key);
    maxRunning = Math.max(maxRunning, ++running);
    await clock.sleep(10);
    running--;
    inFlight.delete(key);
  }, 3);
  for (const name of ['a', 'b', 'c', 'd']) await client.create(configMap(name));
  await client.patch(CM, 'ns', 'a', 'merge', { data: { x: '1' } });
  await clock.runUntilIdle();
  t.equal(maxRunning, 3);
  t.notOk(overlap);
  await controller.stop();
  informer.stop();
});

t.test('a key mapper routes related objects to the owner key; stop detaches and restart resumes', async (t) => {
  const clock = new VirtualClock();
  const client = new FakeClient();
  const configMaps = new Informer(client, CM, {}, { clock });
  const pods = new Informer(client, POD, {}, { clock });
  const reconciled: string[] = [];
  const controller = new Controller({ name: 'c', clock, reconcile: async (key) => void reconciled.push(key) })
    .watch(configMaps)
    .watch(pods, (pod) => (pod.metadata.labels?.owner ? [`ns/${pod.metadata.labels.owner}`] : []));
  configMaps.start();
  pods.start();
  await controller.start();
  await client.create({ ...POD, metadata: { namespace: 'ns', name: 'p', labels: { owner: 'cm1' } } });
  await client.create({ ...POD, metadata: { namespace: 'ns', name: 'orphan' } });
  await clock.advance(0);
  t.same(reconciled, ['ns/cm1']);
  await client.patch(POD, 'ns', 'p', 'merge', { metadata: { labels: { owner: 'cm2' } } });
  await clock.advance(0);
  t.same(reconciled.slice(1).sort(), ['ns/cm1', 'ns/cm2'], 'a change of owner concerns the old and the new owner');
  reconciled.length = 1;
  await controller.stop();
  await client.create(configMap('while-stopped'));
  await clock.advance(0);
  t.same(reconciled, ['ns/cm1'], 'nothing reconciled while stopped');
  await controller.start();
  await clock.advance(0);
  t.same(reconciled.slice(1).sort(), ['ns/cm2', 'ns/while-stopped'], 'restart reconciles the current state');
  await controller.stop();
  configMaps.stop();
  pods.stop();
});

t.test('a change mapper sees both states, so it can ignore changes that do not concern a key', async (t) => {
  const clock = new VirtualClock();
  const client = new FakeClient();
  const pods = new Informer(client, POD, {}, { clock });
  const seen: Array<[string | undefined, string | undefined]> = [];
  const reconciled: string[] = [];
  const controller = new Controller({ name: 'c', clock, reconcile: async (key) => void reconciled.push(key) }).watchChanges(
    pods,
    (old, cur) => {
      seen.push([old?.metadata.labels?.role, cur?.metadata.labels?.role]);
      return old?.metadata.labels?.role === cur?.metadata.labels?.role ? [] : ['ns/roles'];
    },
  );
  pods.start();
  await controller.start();
  await client.create({ ...POD, metadata: { namespace: 'ns', name: 'p', labels: { role: 'a' } } });
  await clock.advance(0);
  await client.patch(POD, 'ns', 'p', 'merge', { metadata: { annotations: { beat: '1' } } });
  await clock.advance(0);
  t.same(reconciled, ['ns/roles'], 'the add is mapped, the annotation-only update is not');
  await client.patch(POD, 'ns', 'p', 'merge', { metadata: { labels: { role: 'b' } } });
  await client.delete(POD, 'ns', 'p');
  await clock.advance(0);
  t.same(
    seen,
    [
      [undefined, 'a'],
      ['a', 'a'],
      ['a', 'b'],
      ['b', undefined],
    ],
    'add, update and delete each with their two sides',
  );
  await controller.stop();
  pods.stop();
});

t.test('workers wait for the informers to sync; stop before sync returns', async (t) => {
  const clock = new VirtualClock();
  const informer = new Informer(new FakeClient(), CM, {}, { clock });
  const controller = new Controller({ name: 'c', clock, reconcile: async () => {} }).watch(informer);
  await controller.start();
  await controller.stop();
  t.pass('stopped without the informer ever syncing');
});

t.test('a controller that keeps feeding itself still lets the event loop turn (I/O is not starved)', async (t) => {
  let reconciles = 0;
  let controllerRef: Controller | undefined;
  const { client, controller, informer } = await setup(async (key) => {
    reconciles++;
    controllerRef?.enqueue(key); // the next change is already there: nothing but microtasks between reconciles
  });
  controllerRef = controller;
  await client.create(configMap('a'));
  const before = reconciles;
  await new Promise<void>((resolve) => setImmediate(resolve));
  const during = reconciles - before;
  t.ok(during > 0 && during <= 64, `the event loop turned after ${during} reconciles`);
  await controller.stop();
  informer.stop();
});
