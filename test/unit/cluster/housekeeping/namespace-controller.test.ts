import t from 'tap';
import type { KubeObject } from '../../../../src/api/types.js';
import { startHarness } from '../workloads/harness.js';

const NS = { apiVersion: 'v1', kind: 'Namespace' } as const;
const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
}

t.test('a deleted namespace is emptied, reports what holds it, and goes once empty', async (t) => {
  const h = await startHarness(t);
  await h.client.create({ ...NS, metadata: { name: 'doomed' } });
  await h.client.create({ ...CM, metadata: { name: 'plain', namespace: 'doomed' }, data: { a: '1' } });
  await h.client.create({ ...CM, metadata: { name: 'held', namespace: 'doomed', finalizers: ['example.com/hold'] } });
  const deleted = await h.client.delete<Namespace>(NS, undefined, 'doomed');
  t.equal(deleted.status?.phase, 'Terminating');
  t.same(deleted.spec?.finalizers, ['kubernetes']);

  const ns = await h.eventually(async () => {
    const current = await h.get<Namespace>(NS, undefined, 'doomed');
    const remaining = current?.status?.conditions?.find((c) => c.type === 'NamespaceContentRemaining');
    return remaining?.status === 'True' && (await h.get(CM, 'doomed', 'plain')) === undefined ? current : undefined;
  });
  const byType = new Map(ns.status!.conditions!.map((c) => [c.type, c]));
  t.same(
    [...byType.keys()],
    [
      'NamespaceDeletionDiscoveryFailure',
      'NamespaceDeletionGroupVersionParsingFailure',
      'NamespaceDeletionContentFailure',
      'NamespaceContentRemaining',
      'NamespaceFinalizersRemaining',
    ],
  );
  t.match(byType.get('NamespaceDeletionDiscoveryFailure'), {
    status: 'False',
    reason: 'ResourcesDiscovered',
    message: 'All resources successfully discovered',
  });
  t.match(byType.get('NamespaceContentRemaining'), {
    status: 'True',
    reason: 'SomeResourcesRemain',
    message: 'Some resources are remaining: configmaps. has 1 resource instances',
  });
  t.match(byType.get('NamespaceFinalizersRemaining'), {
    status: 'True',
    reason: 'SomeFinalizersRemain',
    message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
  });
  t.ok((await h.get(CM, 'doomed', 'held'))?.metadata.deletionTimestamp, 'the held object is being deleted');

  const held = (await h.get(CM, 'doomed', 'held'))!;
  await h.client.update({ ...held, metadata: { ...held.metadata, finalizers: undefined } });
  await h.eventually(async () => (await h.get(NS, undefined, 'doomed')) === undefined);
  t.pass('the namespace is gone once its content is');
});

t.test('namespaces not being deleted are left alone', async (t) => {
  const h = await startHarness(t);
  await h.client.create({ ...NS, metadata: { name: 'alive' } });
  await h.client.create({ ...CM, metadata: { name: 'keep', namespace: 'alive' } });
  await h.clock.advance(5_000);
  t.ok(await h.get(CM, 'alive', 'keep'));
  t.notOk((await h.get<Namespace>(NS, undefined, 'alive'))?.status?.conditions);
});
