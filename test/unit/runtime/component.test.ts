import t from 'tap';
import type { KubeObject } from '../../../src/api/types.js';
import { VirtualClock } from '../../../src/runtime/clock.js';
import { ComponentManager, Gate, type Component } from '../../../src/runtime/component.js';
import { Informer } from '../../../src/runtime/informer.js';
import { FakeClient } from './fake-client.js';

const POD = { apiVersion: 'v1', kind: 'Pod' } as const;

function tracked(name: string, log: string[], failStart = false): Component {
  return {
    name,
    start: async () => {
      if (failStart) throw new Error(`${name} cannot start`);
      log.push(`start ${name}`);
    },
    stop: async () => void log.push(`stop ${name}`),
  };
}

t.test('ComponentManager starts in order and stops in reverse', async (t) => {
  const log: string[] = [];
  const manager = new ComponentManager();
  const a = tracked('a', log);
  manager.add(a);
  manager.add(tracked('b', log));
  await manager.start();
  t.ok(manager.isRunning(a));
  await manager.stop();
  t.same(log, ['start a', 'start b', 'stop b', 'stop a']);
  t.notOk(manager.isRunning(a));
});

t.test('ComponentManager undoes a partial start', async (t) => {
  const log: string[] = [];
  const manager = new ComponentManager();
  manager.add(tracked('a', log));
  manager.add(tracked('b', log, true));
  manager.add(tracked('c', log));
  await t.rejects(manager.start(), /b cannot start/);
  t.same(log, ['start a', 'stop a']);
});

const readyPod = (name: string, ready: boolean): KubeObject => ({
  ...POD,
  metadata: { namespace: 'kubevirt', name, labels: { 'kubevirt.io': 'virt-operator' } },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const isReady = (pod: KubeObject): boolean =>
  ((pod.status as { conditions?: Array<{ type: string; status: string }> }).conditions ?? []).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );

t.test('Gate runs a fresh child while the condition holds', async (t) => {
  const clock = new VirtualClock();
  const client = new FakeClient();
  const pods = new Informer(client, POD, { namespace: 'kubevirt', labelSelector: 'kubevirt.io=virt-operator' }, { clock });
  const log: string[] = [];
  let generation = 0;
  const gate = new Gate({
    name: 'virt-operator-gate',
    informers: [pods],
    condition: () => pods.list().some(isReady),
    createChild: () => tracked(`virt-operator#${++generation}`, log),
  });
  await gate.start();
  pods.start();
  await clock.advance(0);
  t.notOk(gate.childRunning, 'no ready pod yet');

  await client.create(readyPod('op-1', false));
  await clock.advance(0);
  t.notOk(gate.childRunning);

  await client.patch(POD, 'kubevirt', 'op-1', 'merge', { status: readyPod('op-1', true).status });
  await clock.advance(0);
  t.ok(gate.childRunning);

  await client.create(readyPod('op-2', true));
  await clock.advance(0);
  await client.delete(POD, 'kubevirt', 'op-1');
  await clock.advance(0);
  t.same(log, ['start virt-operator#1'], 'still running while another pod is ready');

  await client.delete(POD, 'kubevirt', 'op-2');
  await clock.advance(0);
  t.notOk(gate.childRunning);
  await client.create(readyPod('op-3', true));
  await clock.advance(0);
  t.same(log, ['start virt-operator#1', 'stop virt-operator#1', 'start virt-operator#2']);

  await gate.stop();
  t.notOk(gate.childRunning);
  t.same(log.at(-1), 'stop virt-operator#2');
  await client.delete(POD, 'kubevirt', 'op-3');
  await client.create(readyPod('op-4', true));
  await clock.advance(0);
  t.equal(log.length, 4, 'a stopped gate ignores changes');
  pods.stop();
});

t.test('Gate with a condition true on an empty cache starts the child once synced', async (t) => {
  const clock = new VirtualClock();
  const pods = new Informer(new FakeClient(), POD, {}, { clock });
  const log: string[] = [];
  const gate = new Gate({
    name: 'g',
    informers: [pods],
    condition: () => pods.list().length === 0,
    createChild: () => tracked('child', log),
  });
  await gate.start();
  t.notOk(gate.childRunning, 'not before sync');
  pods.start();
  await clock.advance(0);
  t.ok(gate.childRunning);
  await gate.stop();
  pods.stop();
});

t.test('Gate whose child cannot even be built logs it and tries again on the next change', async (t) => {
  const clock = new VirtualClock();
  const client = new FakeClient();
  const pods = new Informer(client, POD, {}, { clock });
  const log: string[] = [];
  const errors: string[] = [];
  let attempts = 0;
  const gate = new Gate({
    name: 'g',
    informers: [pods],
    condition: () => pods.list().length > 0,
    createChild: () => {
      if (++attempts === 1) throw new Error('bad configuration');
      return tracked('child', log);
    },
    logger: { info: () => {}, error: (m, err) => errors.push(`${m}: ${(err as Error).message}`) },
  });
  await gate.start();
  pods.start();
  await client.create({ ...POD, metadata: { namespace: 'a', name: 'p1' } });
  await clock.advance(0);
  t.notOk(gate.childRunning);
  t.same(errors, ['g: failed to start its component: bad configuration']);
  await client.create({ ...POD, metadata: { namespace: 'a', name: 'p2' } });
  await clock.advance(0);
  t.ok(gate.childRunning, 'the next change starts it');
  t.same(log, ['start child']);
  await gate.stop();
  pods.stop();
});
