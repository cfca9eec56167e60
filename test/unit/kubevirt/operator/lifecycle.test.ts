import t from 'tap';
import type { KubeObject } from '../../../../src/api/types.js';
import { applyAll, KUBEVIRT_REF, manifest, startHarness, tryGet } from './operator-harness.js';

type Conditions = Array<{ type: string; status: string; reason: string; message: string }>;
const conditionsOf = (kv: KubeObject | undefined): Conditions => (kv?.status as { conditions?: Conditions } | undefined)?.conditions ?? [];

t.test(
  'two KubeVirt CRs stop the operator for both; once deployed a second one is refused; uninstall removes the operands and the finalizer',
  async (t) => {
    const h = await startHarness();
    t.teardown(() => h.stop());
    const { client, waitFor } = h;
    await applyAll(client, manifest('kubevirt-operator.yaml'));
    // Both CRs land before virt-operator has deployed its validating webhook, so only the operator itself can notice the conflict.
    await applyAll(client, manifest('kubevirt-cr.yaml'));
    await client.create({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'second', namespace: 'default' }, spec: {} });
    for (const [namespace, name] of [
      ['kubevirt', 'kubevirt'],
      ['default', 'second'],
    ]) {
      const synchronized = await waitFor(`ExistingDeployment on ${name}`, async () =>
        conditionsOf(await client.get(KUBEVIRT_REF, namespace, name)).find((c) => c.type === 'Synchronized'),
      );
      t.match(synchronized, { status: 'False', reason: 'ExistingDeployment', message: 'There is an active KubeVirt deployment' });
    }
    await client.delete(KUBEVIRT_REF, 'default', 'second');
    await waitFor(
      'Deployed',
      async () =>
        ((await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt')).status as { phase?: string } | undefined)?.phase === 'Deployed' ||
        undefined,
      60_000,
    );
    t.notOk(
      conditionsOf(await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt')).some((c) => c.type === 'Synchronized'),
      'first CR synchronized again',
    );

    // Deployed, virt-operator's kubevirt-create-validator refuses any further CR.
    await t.rejects(
      client.create({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'third', namespace: 'default' }, spec: {} }),
      {
        message: 'admission webhook "kubevirt-create-validator.kubevirt.io" denied the request: Kubevirt is already created',
      },
    );

    await client.delete(KUBEVIRT_REF, 'kubevirt', 'kubevirt');
    await waitFor('the CR gone', async () => ((await tryGet(client, KUBEVIRT_REF, 'kubevirt', 'kubevirt')) ? undefined : true), 60_000);
    t.notOk(await tryGet(client, { apiVersion: 'apps/v1', kind: 'Deployment' }, 'kubevirt', 'virt-api'), 'virt-api deleted');
    t.notOk(
      await tryGet(
        client,
        { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
        undefined,
        'virtualmachines.kubevirt.io',
      ),
      'CRDs deleted',
    );
    t.notOk(
      await tryGet(client, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' }, undefined, 'kubevirt.io:view'),
      'RBAC deleted',
    );
    const strategies = await client.list(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: 'kubevirt', labelSelector: 'kubevirt.io/install-strategy' },
    );
    t.equal(strategies.items.length, 0, 'install strategy ConfigMaps deleted');
    t.ok(await tryGet(client, { apiVersion: 'apps/v1', kind: 'Deployment' }, 'kubevirt', 'virt-operator'), 'the operator stays');
    t.ok(
      await tryGet(client, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, 'kubevirts.kubevirt.io'),
      'the kubevirts CRD stays',
    );
  },
);
