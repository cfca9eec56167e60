// Acceptance 6: the same flows through @kubernetes/client-node: list, informer watch, create, patch, delete.
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

const waitUntil = async (check: () => boolean, ms = 5000) => {
  for (let waited = 0; !check() && waited < ms; waited += 20) await new Promise((r) => setTimeout(r, 20));
  return check();
};

/** One emulator for the file: the first test lists the fresh cluster before the second adds its CRD. */
let shared: EmulatorFixture;
t.before(async () => {
  shared = await withEmulator(t);
});

t.test('client-node lists, watches with an informer, creates, patches and deletes', async (t) => {
  const { kubeconfigPath } = shared;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);

  const namespaces = await core.listNamespace();
  // A fresh kind cluster's namespaces, its local-path-storage included.
  t.same(namespaces.items.map((n) => n.metadata?.name).sort(), [
    'default',
    'kube-node-lease',
    'kube-public',
    'kube-system',
    'local-path-storage',
  ]);

  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
    core.listNamespacedConfigMap({ namespace: 'default' }),
  );
  const seen: string[] = [];
  informer.on('add', (cm) => seen.push(`add:${cm.metadata?.name}`));
  informer.on('update', (cm) => seen.push(`update:${cm.metadata?.name}`));
  informer.on('delete', (cm) => seen.push(`delete:${cm.metadata?.name}`));
  await informer.start();
  t.teardown(() => informer.stop());

  const created = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'from-node' }, data: { a: '1' } },
  });
  t.ok(created.metadata?.uid, 'created with a uid');
  t.ok(await waitUntil(() => seen.includes('add:from-node')), `informer saw the add: ${seen}`);

  const patched = await core.patchNamespacedConfigMap(
    { name: 'from-node', namespace: 'default', body: { data: { b: '2' } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  t.same(patched.data, { a: '1', b: '2' });
  t.ok(await waitUntil(() => seen.includes('update:from-node')), 'informer saw the update');

  await core.deleteNamespacedConfigMap({ name: 'from-node', namespace: 'default', propagationPolicy: 'Foreground' });
  t.ok(await waitUntil(() => seen.includes('delete:from-node')), 'informer saw the delete');

  const missing = await core.readNamespacedConfigMap({ name: 'from-node', namespace: 'default' }).catch((e) => e);
  t.equal(missing.code, 404);
  t.equal(JSON.parse(missing.body).reason, 'NotFound');
});

t.test('client-node custom objects: create a CRD, then create, list and json-patch a custom object', async (t) => {
  const { kubeconfigPath } = shared;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  await ext.createCustomResourceDefinition({
    body: {
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } },
            },
          },
        ],
      },
    },
  });
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const coords = { group: 'example.com', version: 'v1', namespace: 'default', plural: 'widgets' };
  await custom.createNamespacedCustomObject({
    ...coords,
    body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 1 } },
  });
  const list = await custom.listNamespacedCustomObject(coords);
  t.same(
    list.items.map((i: { metadata: { name: string } }) => i.metadata.name),
    ['w1'],
  );
  const patched = await custom.patchNamespacedCustomObject({
    ...coords,
    name: 'w1',
    body: [{ op: 'replace', path: '/spec/size', value: 3 }],
  });
  t.equal(patched.spec.size, 3);
  const invalid = await custom
    .patchNamespacedCustomObject({ ...coords, name: 'w1', body: [{ op: 'replace', path: '/spec/size', value: 'big' }] })
    .catch((e) => e);
  t.equal(invalid.code, 422);
});
