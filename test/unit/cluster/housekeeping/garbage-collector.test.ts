import t from 'tap';
import type { KubeObject } from '../../../../src/api/types.js';
import { startHarness, type Harness } from '../workloads/harness.js';
import { widgetCrd } from '../../../helpers/crds.js';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

async function ownerAndDependent(
  h: Harness,
  options: { blockOwnerDeletion?: boolean; finalizers?: string[] } = {},
): Promise<[KubeObject, KubeObject]> {
  const owner: KubeObject = await h.client.create({ ...CM, metadata: { name: 'owner', namespace: 'default' } });
  const dependent = await h.client.create({
    ...CM,
    metadata: {
      name: 'dependent',
      namespace: 'default',
      finalizers: options.finalizers,
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, blockOwnerDeletion: options.blockOwnerDeletion },
      ],
    },
  });
  return [owner, dependent];
}

t.test('background: dependents of a deleted owner are deleted', async (t) => {
  const h = await startHarness(t);
  await ownerAndDependent(h);
  await h.clock.advance(1_000);
  t.ok(await h.get(CM, 'default', 'dependent'), 'a dependent with a live owner stays');
  await h.client.delete(CM, 'default', 'owner');
  await h.eventually(async () => (await h.get(CM, 'default', 'dependent')) === undefined);
  t.pass('dependent collected');
});

t.test('a dependent whose owner uid never existed is collected', async (t) => {
  const h = await startHarness(t);
  await h.client.create({ ...CM, metadata: { name: 'owner', namespace: 'default' } });
  await h.client.create({
    ...CM,
    metadata: {
      name: 'stale',
      namespace: 'default',
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'not-the-owner-uid' }],
    },
  });
  await h.eventually(async () => (await h.get(CM, 'default', 'stale')) === undefined);
  t.ok(await h.get(CM, 'default', 'owner'), 'the same-named owner with another uid is untouched');
});

t.test('foreground: the owner waits for its blocking dependents', async (t) => {
  const h = await startHarness(t);
  await ownerAndDependent(h, { blockOwnerDeletion: true, finalizers: ['example.com/hold'] });
  await h.client.delete(CM, 'default', 'owner', { propagationPolicy: 'Foreground' });
  const dependent = await h.eventually(async () => {
    const d = await h.get(CM, 'default', 'dependent');
    return d?.metadata.deletionTimestamp ? d : undefined;
  });
  const owner = await h.get(CM, 'default', 'owner');
  t.ok(owner?.metadata.deletionTimestamp, 'owner is terminating');
  t.same(owner?.metadata.finalizers, ['foregroundDeletion']);

  await h.client.update({ ...dependent, metadata: { ...dependent.metadata, finalizers: undefined } });
  await h.eventually(async () => (await h.get(CM, 'default', 'owner')) === undefined);
  t.equal(await h.get(CM, 'default', 'dependent'), undefined);
});

t.test('orphan: dependents lose the reference and stay', async (t) => {
  const h = await startHarness(t);
  await ownerAndDependent(h, { blockOwnerDeletion: true });
  await h.client.delete(CM, 'default', 'owner', { propagationPolicy: 'Orphan' });
  await h.eventually(async () => (await h.get(CM, 'default', 'owner')) === undefined);
  await h.clock.advance(2_000);
  const dependent = await h.get(CM, 'default', 'dependent');
  t.ok(dependent, 'dependent survives');
  t.equal(dependent?.metadata.ownerReferences, undefined);
});

t.test('custom resources: a CRD kind joins the graph once Established, in both directions', async (t) => {
  const h = await startHarness(t);
  const WIDGET = { apiVersion: 'example.com/v1', kind: 'Widget' } as const;
  const crd = widgetCrd;
  await h.client.create(crd);
  await h.eventually(
    async () =>
      (await h.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, 'widgets.example.com'))
        ?.status !== undefined,
  );
  // A custom resource owning a ConfigMap, and a custom resource owned by a ConfigMap.
  const parent = await h.client.create({ ...WIDGET, metadata: { name: 'parent', namespace: 'default' } });
  await h.client.create({
    ...CM,
    metadata: { name: 'child', namespace: 'default', ownerReferences: [{ ...WIDGET, name: 'parent', uid: parent.metadata.uid! }] },
  });
  const holder = await h.client.create({ ...CM, metadata: { name: 'holder', namespace: 'default' } });
  await h.client.create({
    ...WIDGET,
    metadata: { name: 'held', namespace: 'default', ownerReferences: [{ ...CM, name: 'holder', uid: holder.metadata.uid! }] },
  });
  await h.clock.advance(1_000);
  t.ok(await h.get(CM, 'default', 'child'), 'owned by a live custom resource: kept');

  await h.client.delete(WIDGET, 'default', 'parent');
  await h.eventually(async () => (await h.get(CM, 'default', 'child')) === undefined);
  await h.client.delete(CM, 'default', 'holder');
  await h.eventually(async () => (await h.get(WIDGET, 'default', 'held')) === undefined);
  t.pass('both dependents collected');
});
