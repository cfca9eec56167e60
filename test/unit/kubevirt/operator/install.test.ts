import t from 'tap';
import { X509Certificate } from 'node:crypto';
import type { KubeObject } from '../../../../src/api/types.js';
import { applyAll, KUBEVIRT_REF, manifest, startHarness, tryGet } from './operator-harness.js';

interface KubeVirtView extends KubeObject {
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string; reason: string; message: string; lastTransitionTime: string | null }>;
    [k: string]: unknown;
  };
}

const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };
const DAEMONSET = { apiVersion: 'apps/v1', kind: 'DaemonSet' };

t.test('apply operator + CR: every operand is created, then Deployed/Available once the components are ready', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  const { client, waitFor } = h;
  await applyAll(client, manifest('kubevirt-operator.yaml'));
  await applyAll(client, manifest('kubevirt-cr.yaml'));

  const cr = await waitFor('the KubeVirt CR to be Deploying', async () => {
    const kv = (await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt')) as KubeVirtView;
    return kv.status?.phase === 'Deploying' && kv.metadata.finalizers?.length ? kv : undefined;
  });
  t.same(cr.metadata.finalizers, ['kubevirt.io/foregroundDeleteKubeVirt']);
  t.equal(cr.metadata.annotations?.['kubevirt.io/latest-observed-api-version'], 'v1');
  t.equal(cr.metadata.annotations?.['kubevirt.io/storage-observed-api-version'], 'v1');
  const available = cr.status?.conditions?.find((c) => c.type === 'Available');
  t.match(available, {
    status: 'False',
    reason: 'DeploymentInProgress',
    message: 'Deploying version v1.9.0-rc.2 with registry quay.io/kubevirt',
  });

  // virt-api comes first; nothing after it until it is ready.
  const virtApi = await waitFor('virt-api', () => tryGet(client, DEPLOYMENT, 'kubevirt', 'virt-api'));
  t.equal(
    (virtApi.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0].image,
    'quay.io/kubevirt/virt-api:v1.9.0-rc.2',
  );
  t.notOk(await tryGet(client, DEPLOYMENT, 'kubevirt', 'virt-controller'), 'virt-controller waits for virt-api');
  for (const crd of [
    'virtualmachines.kubevirt.io',
    'virtualmachineinstances.kubevirt.io',
    'virtualmachinetemplates.template.kubevirt.io',
  ]) {
    const found = await tryGet(client, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, crd);
    t.equal(found?.metadata.labels?.['app.kubernetes.io/managed-by'], 'virt-operator', `CRD ${crd}`);
  }

  // Certificates: kubevirt-ca signs the leaves, and the bundle is the caBundle of webhooks and APIServices.
  const caSecret = (await client.get({ apiVersion: 'v1', kind: 'Secret' }, 'kubevirt', 'kubevirt-ca')) as KubeObject & {
    data: Record<string, string>;
  };
  const ca = new X509Certificate(Buffer.from(caSecret.data['tls.crt'], 'base64'));
  t.match(ca.subject, /CN=kubevirt\.io@\d+/);
  t.equal(caSecret.metadata.annotations?.['kubevirt.io/duration'], '168h0m0s');
  t.match(Buffer.from(caSecret.data['tls.key'], 'base64').toString(), /BEGIN EC PRIVATE KEY/);
  const apiCerts = (await waitFor('virt-api certs', () =>
    tryGet(client, { apiVersion: 'v1', kind: 'Secret' }, 'kubevirt', 'kubevirt-virt-api-certs'),
  )) as KubeObject & { data: Record<string, string> };
  const leaf = new X509Certificate(Buffer.from(apiCerts.data['tls.crt'], 'base64'));
  t.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'virt-api certificate is signed by kubevirt-ca');
  t.equal(leaf.subject, 'CN=virt-api.kubevirt.pod.cluster.local');
  t.match(leaf.subjectAltName, 'DNS:virt-api.kubevirt.svc.cluster.local');
  t.equal(new Date(leaf.validFrom).getTime(), new Date(ca.validFrom).getTime(), 'leaf NotBefore is the CA NotBefore');
  const bundle = (await client.get({ apiVersion: 'v1', kind: 'ConfigMap' }, 'kubevirt', 'kubevirt-ca')) as KubeObject & {
    data: Record<string, string>;
  };
  t.equal(bundle.data['ca-bundle'], Buffer.from(caSecret.data['tls.crt'], 'base64').toString());
  const validator = await client.get(
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' },
    undefined,
    'virt-api-validator',
  );
  for (const hook of validator.webhooks as Array<{ clientConfig: { caBundle: string } }>)
    t.equal(Buffer.from(hook.clientConfig.caBundle, 'base64').toString(), bundle.data['ca-bundle']);
  const apiService = await client.get(
    { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService' },
    undefined,
    'v1.subresources.kubevirt.io',
  );
  t.equal((apiService.spec as { caBundle: string }).caBundle, Buffer.from(bundle.data['ca-bundle']).toString('base64'));

  // Strategy ConfigMap.
  const strategies = await client.list(
    { apiVersion: 'v1', kind: 'ConfigMap' },
    { namespace: 'kubevirt', labelSelector: 'kubevirt.io/install-strategy' },
  );
  t.equal(strategies.items.length, 1);
  t.match(strategies.items[0].metadata.name, /^kubevirt-install-strategy-[a-z0-9]{5}$/);
  t.equal(strategies.items[0].metadata.annotations?.['kubevirt.io/install-strategy-cm-encoding'], 'gzip+base64');

  // The cluster runs the pods; once virt-api is ready the rest is created, and Deployed follows when all are ready.
  const kv = await waitFor(
    'Deployed',
    async () => {
      const current = (await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt')) as KubeVirtView;
      return current.status?.phase === 'Deployed' ? current : undefined;
    },
    60_000,
  );
  for (const name of ['virt-controller', 'virt-exportproxy', 'virt-template-apiserver', 'virt-template-controller'])
    t.ok(await tryGet(client, DEPLOYMENT, 'kubevirt', name), `deployment ${name}`);
  t.ok(await tryGet(client, DAEMONSET, 'kubevirt', 'virt-handler'), 'daemonset virt-handler');
  t.notOk(await tryGet(client, DEPLOYMENT, 'kubevirt', 'virt-synchronization-controller'), 'the sync controller needs its gate');
  t.same(
    kv.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['Available', 'True', 'AllComponentsReady', 'All components are ready.'],
      ['Progressing', 'False', 'AllComponentsReady', 'All components are ready.'],
      ['Degraded', 'False', 'AllComponentsReady', 'All components are ready.'],
      ['Created', 'True', 'AllResourcesCreated', 'All resources were created.'],
    ],
  );
  t.notOk(kv.status?.conditions?.find((c) => c.type === 'Created')?.lastTransitionTime, 'Created never transitioned');
  t.match(kv.status, {
    operatorVersion: 'v1.9.0-rc.2',
    targetKubeVirtVersion: 'v1.9.0-rc.2',
    targetKubeVirtRegistry: 'quay.io/kubevirt',
    observedKubeVirtVersion: 'v1.9.0-rc.2',
    observedKubeVirtRegistry: 'quay.io/kubevirt',
    observedGeneration: 1,
    defaultArchitecture: 'amd64',
    outdatedVirtualMachineInstanceWorkloads: 0,
  });
  t.match(kv.status?.targetDeploymentID, /^[0-9a-f]{40}$/);
  t.equal(kv.status?.observedDeploymentID, kv.status?.targetDeploymentID);
  const generations = kv.status?.generations as Array<{ group: string; resource: string; name: string }>;
  t.ok(generations.some((g) => g.group === 'apiextensions.k8s.io/v1' && g.name === 'virtualmachines.kubevirt.io'));
  t.ok(generations.some((g) => g.group === 'apps' && g.resource === 'poddisruptionbudgets' && g.name === 'virt-controller-pdb'));

  // After rolling over: namespace label and the common instancetypes.
  const namespace = await client.get({ apiVersion: 'v1', kind: 'Namespace' }, undefined, 'kubevirt');
  t.equal(namespace.metadata.labels?.['openshift.io/cluster-monitoring'], 'true');
  const instancetypes = await client.list({ apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineClusterInstancetype' });
  t.equal(instancetypes.items.length, 65);
  t.equal(instancetypes.items[0].metadata.labels?.['app.kubernetes.io/managed-by'], 'virt-operator');
  const preferences = await client.list({ apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineClusterPreference' });
  t.equal(preferences.items.length, 54);

  // Self-healing: a deleted operand and an edited one come back.
  await client.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' }, undefined, 'kubevirt.io:view');
  await waitFor('kubevirt.io:view restored', () =>
    tryGet(client, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' }, undefined, 'kubevirt.io:view'),
  );
  await client.patch({ apiVersion: 'v1', kind: 'Service' }, 'kubevirt', 'virt-api', 'merge', {
    spec: { selector: { 'kubevirt.io': 'other' } },
  });
  await waitFor('virt-api Service selector restored', async () => {
    const service = await client.get({ apiVersion: 'v1', kind: 'Service' }, 'kubevirt', 'virt-api');
    return (service.spec as { selector: Record<string, string> }).selector['kubevirt.io'] === 'virt-api' || undefined;
  });
  t.pass('operands restored');
});
