import t from 'tap';
import { X509Certificate } from 'node:crypto';
import type { KubeObject } from '../../../../src/api/types.js';
import { applyAll, KUBEVIRT_REF, manifest, startHarness } from './operator-harness.js';

const WEBHOOK_CONFIG = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' };
interface BlockingWebhook {
  name: string;
  failurePolicy: string;
  rules: Array<{ operations: string[]; apiGroups: string[]; apiVersions: string[]; resources: string[] }>;
  clientConfig: { service: { namespace: string; name: string; path: string }; caBundle: string };
}

t.test('a temporary webhook covers the new CRDs while the install is in progress and is gone when Available', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  const { client, waitFor } = h;
  const temporaryWebhooks = async (): Promise<KubeObject[]> =>
    (await client.list(WEBHOOK_CONFIG)).items.filter((c) => (c.metadata.name ?? '').startsWith('virt-operator-tmp-webhook'));
  await applyAll(client, manifest('kubevirt-operator.yaml'));
  await applyAll(client, manifest('kubevirt-cr.yaml'));

  const [config] = await waitFor('the temporary webhook', async () =>
    (await temporaryWebhooks()).length ? temporaryWebhooks() : undefined,
  );
  t.match(config.metadata.name, /^virt-operator-tmp-webhook[a-z0-9]{5}$/);
  t.same(config.metadata.labels, { 'app.kubernetes.io/component': 'kubevirt', 'app.kubernetes.io/managed-by': 'virt-operator' });
  t.same(Object.keys(config.metadata.annotations ?? {}).sort(), [
    'kubevirt.io/generation',
    'kubevirt.io/install-strategy-identifier',
    'kubevirt.io/install-strategy-registry',
    'kubevirt.io/install-strategy-version',
  ]);
  const webhooks = config.webhooks as BlockingWebhook[];
  t.equal(webhooks.length, 21, 'one per CRD of the strategy (none existed before)');
  const vms = webhooks.find((w) => w.name === 'virtualmachines.kubevirt.io-tmp-validator');
  t.match(vms, {
    failurePolicy: 'Fail',
    rules: [{ operations: ['CREATE'], apiGroups: ['kubevirt.io'], apiVersions: ['v1alpha3', 'v1'], resources: ['virtualmachines'] }],
    clientConfig: { service: { namespace: 'kubevirt', name: 'fake-validation-service', path: '/fake-path/virtualmachines.kubevirt.io' } },
  });
  t.match(new X509Certificate(Buffer.from(vms!.clientConfig.caBundle, 'base64')).subject, /^CN=fake\.kubevirt\.io@\d+$/);

  // Later rounds, while virt-api is still coming up, keep the one configuration.
  await waitFor(
    'a virt-api pod',
    async () =>
      (await client.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'kubevirt', labelSelector: 'kubevirt.io=virt-api' })).items[0],
  );
  t.same(
    (await temporaryWebhooks()).map((c) => c.metadata.name),
    [config.metadata.name],
    'later rounds add no second one',
  );

  await waitFor(
    'Available',
    async () => {
      const kv = await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt');
      return (kv.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
        (c) => c.type === 'Available' && c.status === 'True',
      );
    },
    60_000,
  );
  t.same(await temporaryWebhooks(), [], 'deleted once virt-api is ready');
});
