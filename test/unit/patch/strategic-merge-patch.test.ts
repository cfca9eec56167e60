import t from 'tap';
import { applyStrategicMergePatch } from '../../../src/api/patch/index.js';
import { StatusError } from '../../../src/api/errors.js';
import { at, deepFreeze, deploymentSchema, virtOperatorDeployment } from './fixtures.js';

const live = virtOperatorDeployment();
const schema = deploymentSchema();
const patch = (body: unknown) => applyStrategicMergePatch(live, deepFreeze(body), schema);
const podSpec = (obj: unknown) => at(obj, 'spec', 'template', 'spec');
const container = (obj: unknown) => podSpec(obj).containers[0];
const names = (list: { name: string }[]) => list.map((item) => item.name);

t.test('kubectl patch merges env by name and keeps the rest of the container', async (t) => {
  const patched = patch({
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'virt-operator',
              env: [
                { name: 'A', value: '1' },
                { name: 'KUBEVIRT_VERSION', value: 'v2' },
              ],
            },
          ],
        },
      },
    },
  });
  // As in Kubernetes, an item the server did not have comes first: the merge only keeps
  // server-only items ahead of patch items that they preceded on the server.
  t.same(names(container(patched).env), ['A', 'VIRT_OPERATOR_IMAGE', 'WATCH_NAMESPACE', 'KUBEVIRT_VERSION']);
  t.same(container(patched).env[3], { name: 'KUBEVIRT_VERSION', value: 'v2' });
  t.same(container(patched).env[2], container(live).env[1], 'untouched entries keep their valueFrom');
  t.equal(container(patched).image, container(live).image);
  t.same(container(patched).ports, container(live).ports);
  t.equal(container(live).env.length, 3, 'the frozen original is unchanged');
  t.equal(at(patched, 'metadata'), at(live, 'metadata'), 'a part the patch does not touch is the original itself, not a copy');
  t.equal(container(patched).ports, container(live).ports);
});

t.test('what kubectl apply sends for a changed Deployment', async (t) => {
  const lastApplied = '{"apiVersion":"apps/v1","kind":"Deployment"}\n';
  const args = ['--port', '8443', '-v', '4'];
  const patched = patch({
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
    spec: {
      replicas: 3,
      template: { spec: { '$setElementOrder/containers': [{ name: 'virt-operator' }], containers: [{ args, name: 'virt-operator' }] } },
    },
  });
  t.equal(at(patched, 'metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration'), lastApplied);
  t.same(at(patched, 'metadata', 'labels'), at(live, 'metadata', 'labels'));
  t.equal(at(patched, 'spec', 'replicas'), 3);
  t.same(container(patched).args, args, 'primitive list without merge strategy is replaced');
  t.same(container(patched).command, ['virt-operator']);
  t.notOk('$setElementOrder/containers' in podSpec(patched), 'directives do not leak into the object');
  t.same(podSpec(patched).tolerations, podSpec(live).tolerations);
});

t.test('$setElementOrder reorders the merged list', async (t) => {
  const reordered = patch({
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'virt-operator',
              '$setElementOrder/env': [{ name: 'KUBEVIRT_VERSION' }, { name: 'WATCH_NAMESPACE' }, { name: 'VIRT_OPERATOR_IMAGE' }],
              env: [{ name: 'VIRT_OPERATOR_IMAGE', value: 'img:2' }],
            },
          ],
        },
      },
    },
  });
  t.same(names(container(reordered).env), ['KUBEVIRT_VERSION', 'WATCH_NAMESPACE', 'VIRT_OPERATOR_IMAGE']);
  t.equal(container(reordered).env[2].value, 'img:2');

  // WATCH_NAMESPACE is not listed: it stays ahead of KUBEVIRT_VERSION, which it preceded on the server.
  const partial = patch({
    spec: {
      template: {
        spec: {
          containers: [{ name: 'virt-operator', '$setElementOrder/env': [{ name: 'KUBEVIRT_VERSION' }, { name: 'VIRT_OPERATOR_IMAGE' }] }],
        },
      },
    },
  });
  t.same(names(container(partial).env), ['WATCH_NAMESPACE', 'KUBEVIRT_VERSION', 'VIRT_OPERATOR_IMAGE']);
});

t.test('$patch: delete removes a list element by merge key; $patch: replace replaces the list', async (t) => {
  const deleted = patch({
    spec: { template: { spec: { containers: [{ name: 'virt-operator', env: [{ $patch: 'delete', name: 'WATCH_NAMESPACE' }] }] } } },
  });
  t.same(names(container(deleted).env), ['VIRT_OPERATOR_IMAGE', 'KUBEVIRT_VERSION']);

  const replaced = patch({
    spec: { template: { spec: { containers: [{ name: 'virt-operator', env: [{ $patch: 'replace' }, { name: 'ONLY', value: 'x' }] }] } } },
  });
  t.same(container(replaced).env, [{ name: 'ONLY', value: 'x' }]);
});

t.test('$patch on maps: replace swaps the map, delete empties it', async (t) => {
  const replaced = patch({ spec: { template: { spec: { securityContext: { $patch: 'replace', runAsUser: 1000 } } } } });
  t.same(podSpec(replaced).securityContext, { runAsUser: 1000 });
  const deleted = patch({ spec: { template: { spec: { affinity: { $patch: 'delete' } } } } });
  t.same(podSpec(deleted).affinity, {});
  t.throws(() => patch({ spec: { template: { spec: { affinity: { $patch: 'frob' } } } } }), {
    constructor: StatusError,
    code: 400,
    message: 'unknown patch type: frob in map: map[$patch:frob]',
  });
});

t.test('ports merge by containerPort', async (t) => {
  const patched = patch({
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'virt-operator',
              ports: [
                { containerPort: 8444, name: 'hooks' },
                { containerPort: 9000, name: 'new' },
              ],
            },
          ],
        },
      },
    },
  });
  t.same(container(patched).ports, [
    { containerPort: 8443, name: 'metrics', protocol: 'TCP' },
    { containerPort: 8444, name: 'hooks', protocol: 'TCP' },
    { containerPort: 9000, name: 'new' },
  ]);
});

t.test('volumes merge by name, $retainKeys drops the old volume source', async (t) => {
  const added = patch({ spec: { template: { spec: { volumes: [{ name: 'extra', emptyDir: { medium: 'Memory' } }] } } } });
  t.same(names(podSpec(added).volumes), ['extra', 'kubevirt-operator-certs', 'profile-data']);
  t.same(podSpec(added).volumes[0].emptyDir, { medium: 'Memory' });

  const switched = patch({
    spec: { template: { spec: { volumes: [{ $retainKeys: ['emptyDir', 'name'], emptyDir: {}, name: 'kubevirt-operator-certs' }] } } },
  });
  t.same(podSpec(switched).volumes[0], { name: 'kubevirt-operator-certs', emptyDir: {} });

  t.throws(() => patch({ spec: { template: { spec: { volumes: [{ $retainKeys: ['name'], emptyDir: {}, name: 'profile-data' }] } } } }), {
    constructor: StatusError,
    code: 422,
    message: 'the server rejected our request due to an error in our request',
  });
});

t.test('$retainKeys on the deployment strategy', async (t) => {
  const rolling = applyStrategicMergePatch(live, { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }, schema);
  const recreate = applyStrategicMergePatch(rolling, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, schema);
  t.same(at(recreate, 'spec', 'strategy'), { type: 'Recreate' });
});

t.test('tolerations have no merge key: the list is replaced', async (t) => {
  const patched = patch({ spec: { template: { spec: { tolerations: [{ key: 'only', operator: 'Exists' }] } } } });
  t.same(podSpec(patched).tolerations, [{ key: 'only', operator: 'Exists' }]);
});

t.test('null deletes; primitive merge lists are unioned; $deleteFromPrimitiveList removes', async (t) => {
  const withFinalizers = applyStrategicMergePatch(live, { metadata: { finalizers: ['a', 'b'] } }, schema);
  const patched = applyStrategicMergePatch(
    withFinalizers,
    {
      metadata: { finalizers: ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] },
      spec: { template: { spec: { nodeSelector: null } } },
    },
    schema,
  );
  t.same(at(patched, 'metadata', 'finalizers'), ['c', 'a']);
  t.notOk('nodeSelector' in podSpec(patched));
  const unioned = applyStrategicMergePatch(withFinalizers, { metadata: { finalizers: ['c'] } }, schema);
  t.same(at(unioned, 'metadata', 'finalizers'), ['c', 'a', 'b'], 'new items first, as in Kubernetes');
});

t.test('without a schema lists are replaced and maps merged', async (t) => {
  const patched = applyStrategicMergePatch(live, {
    metadata: { labels: { extra: 'y' } },
    spec: { template: { spec: { containers: [{ name: 'other' }] } } },
  });
  t.same(podSpec(patched).containers, [{ name: 'other' }]);
  t.equal(at(patched, 'metadata', 'labels', 'kubevirt.io'), 'virt-operator');
  t.equal(at(patched, 'metadata', 'labels', 'extra'), 'y');
});

t.test('malformed patches', async (t) => {
  t.throws(() => patch([1]), {
    constructor: StatusError,
    code: 400,
    message: 'json: cannot unmarshal array into Go value of type map[string]interface {}',
  });
  t.throws(() => patch({ spec: { template: { spec: { containers: [{ image: 'x' }] } } } }), {
    constructor: StatusError,
    code: 400,
    message: /does not contain declared merge key: name/,
  });
  t.throws(() => patch({ spec: { template: { spec: { '$setElementOrder/containers': 'x' } } } }), {
    constructor: StatusError,
    code: 400,
    message: 'invalid patch format of setElementOrder list',
  });
});
