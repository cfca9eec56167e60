import t from 'tap';
import type { KubeObject } from '../../../../src/api/types.js';
import { applyAll, KUBEVIRT_REF, manifest, startHarness, tryGet } from './operator-harness.js';

type Conditions = Array<{ type: string; status: string; reason: string; message: string }>;
const conditionsOf = (kv: KubeObject | undefined): Conditions => ((kv?.status as { conditions?: Conditions } | undefined)?.conditions ?? []);

t.test('a second KubeVirt CR stops the operator for both; uninstall removes the operands and the finalizer', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  const { client, waitFor } = h;
  await applyAll(client, manifest('kubevirt-operator.yaml'));
  await applyAll(client, manifest('kubevirt-cr.yaml'));
  await waitFor('Deployed', async () => ((await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt')).status as { phase?: string } | undefined)?.phase === 'Deployed' || undefined, 60_000);

  await client.create({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'second', namespace: 'default' }, spec: {} });
  for (const [namespace, name] of [['kubevirt', 'kubevirt'], ['default', 'second']]) {
    const synchronized = await waitFor(`ExistingDeployment on ${name}`, async () => conditionsOf(await client.get(KUBEVIRT_REF, namespace, name)).find((c) => c.type === 'Synchronized'));
    t.match(synchronized, { status: 'False', reason: 'ExistingDeployment', message: 'There is an active KubeVirt deployment' });
  }
  await client.delete(KUBEVIRT_REF, 'default', 'second');
  await waitFor('first CR synchronized again', async () => !conditionsOf(await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt')).some((c) => c.type === 'Synchronized') || undefined);

  await client.delete(KUBEVIRT_REF, 'kubevirt', 'kubevirt');
  await waitFor('the CR gone', async () => ((await tryGet(client, KUBEVIRT_REF, 'kubevirt', 'kubevirt')) ? undefined : true), 60_000);
  t.notOk(await tryGet(client, { apiVersion: 'apps/v1', kind: 'Deployment' }, 'kubevirt', 'virt-api'), 'virt-api deleted');
  t.notOk(await tryGet(client, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, 'virtualmachines.kubevirt.io'), 'CRDs deleted');
  t.notOk(await tryGet(client, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' }, undefined, 'kubevirt.io:view'), 'RBAC deleted');
  const strategies = await client.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'kubevirt', labelSelector: 'kubevirt.io/install-strategy' });
  t.equal(strategies.items.length, 0, 'install strategy ConfigMaps deleted');
  t.ok(await tryGet(client, { apiVersion: 'apps/v1', kind: 'Deployment' }, 'kubevirt', 'virt-operator'), 'the operator stays');
  t.ok(await tryGet(client, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, 'kubevirts.kubevirt.io'), 'the kubevirts CRD stays');
});
