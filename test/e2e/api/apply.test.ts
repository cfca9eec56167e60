// Acceptance 1: the real operator manifest through client-side and server-side apply, get -f and delete -f.
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { operatorManifest, operatorObjects } from './manifests.js';

t.test('kubectl apply, re-apply, server-side apply, get -f and delete -f of kubevirt-operator.yaml', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: false });

  const created = await kubectl(['apply', '-f', operatorManifest]);
  t.equal(created.code, 0, created.stderr);
  for (const object of operatorObjects) t.match(created.stdout, `${object} created`, `${object} created`);

  const again = await kubectl(['apply', '-f', operatorManifest]);
  t.equal(again.code, 0, again.stderr);
  // kubectl (not the server) decides: its three-way patch for the Deployment always carries
  // `strategy: {$retainKeys: [type]}`, because the live strategy holds the defaulted rollingUpdate the
  // manifest leaves out, so a real cluster prints "configured" for it on every re-apply too.
  const deployment = 'deployment.apps/virt-operator';
  for (const object of operatorObjects.filter((o) => o !== deployment)) t.match(again.stdout, `${object} unchanged`, `${object} unchanged`);
  t.match(again.stdout, `${deployment} configured`);
  const generation = await kubectl(['-n', 'kubevirt', 'get', 'deploy', 'virt-operator', '-o', 'jsonpath={.metadata.generation}']);
  t.equal(generation.stdout, '1', 'the re-apply changed nothing on the server');

  const serverSide = await kubectl(['apply', '--server-side', '-f', operatorManifest]);
  t.equal(serverSide.code, 0, serverSide.stderr);
  for (const object of operatorObjects) t.match(serverSide.stdout, `${object} serverside-applied`);

  const listed = await kubectl(['get', '-f', operatorManifest, '-o', 'name']);
  t.equal(listed.code, 0, listed.stderr);
  t.equal(listed.stdout.trim().split('\n').length, operatorObjects.length, 'get -f lists every object');

  const deleted = await kubectl(['delete', '-f', operatorManifest, '--timeout=60s']);
  t.equal(deleted.code, 0, deleted.stderr);
  for (const object of operatorObjects) {
    const [kind, name] = object.split('/');
    t.match(deleted.stdout, `${kind} "${name}" deleted`);
  }

  const gone = await kubectl(['get', 'ns', 'kubevirt']);
  t.not(gone.code, 0);
  t.match(gone.stderr, 'Error from server (NotFound): namespaces "kubevirt" not found');
});

t.test('a changed manifest is patched by apply, and a CR apply uses a merge patch', async (t) => {
  const { kubectl } = await withEmulator(t);
  t.equal((await kubectl(['apply', '-f', operatorManifest])).code, 0);
  const changed = await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'virt-operator', namespace: 'kubevirt', labels: { 'kubevirt.io': 'virt-operator', extra: 'yes' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'kubevirt.io': 'virt-operator' } },
        template: {
          metadata: { labels: { 'kubevirt.io': 'virt-operator' } },
          spec: { containers: [{ name: 'virt-operator', image: 'quay.io/kubevirt/virt-operator:v1.9.0-rc.2' }] },
        },
      },
    }),
  });
  t.equal(changed.code, 0, changed.stderr);
  t.match(changed.stdout, 'deployment.apps/virt-operator configured');
  const labels = await kubectl(['-n', 'kubevirt', 'get', 'deploy', 'virt-operator', '-o', 'jsonpath={.metadata.labels.extra}']);
  t.equal(labels.stdout, 'yes');

  const cr = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: { name: 'kubevirt', namespace: 'kubevirt' },
    spec: { imagePullPolicy: 'IfNotPresent' },
  };
  t.equal((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(cr) })).code, 0);
  const crChanged = await kubectl(['apply', '-f', '-'], { input: JSON.stringify({ ...cr, spec: { imagePullPolicy: 'Always' } }) });
  t.equal(crChanged.code, 0, crChanged.stderr);
  t.match(crChanged.stdout, 'kubevirt.kubevirt.io/kubevirt configured');
  const policy = await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'jsonpath={.spec.imagePullPolicy}']);
  t.equal(policy.stdout, 'Always');
});
