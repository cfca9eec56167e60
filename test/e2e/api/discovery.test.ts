// Acceptance 2: api-resources, api-versions and explain, for built-ins and for a CRD applied at run time.
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { operatorManifest } from './manifests.js';

/** One emulator for the file: the explain test applies the operator manifest again (unchanged) before explaining its CRD. */
let shared: EmulatorFixture;
t.before(async () => {
  shared = await withEmulator(t);
});

t.test('api-resources and api-versions list built-ins, then the KubeVirt CRD once applied', async (t) => {
  const { kubectl } = shared;
  const before = await kubectl(['api-resources']);
  t.equal(before.code, 0, before.stderr);
  t.match(before.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
  t.match(before.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  t.match(before.stdout, /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition$/m);
  t.notMatch(before.stdout, 'kubevirts');

  t.equal((await kubectl(['apply', '-f', operatorManifest])).code, 0);
  const after = await kubectl(['api-resources']);
  t.match(after.stdout, /^kubevirts\s+kv,kvs\s+kubevirt\.io\/v1\s+true\s+KubeVirt$/m);

  const versions = await kubectl(['api-versions']);
  t.equal(versions.code, 0, versions.stderr);
  for (const gv of ['v1', 'apps/v1', 'rbac.authorization.k8s.io/v1', 'apiextensions.k8s.io/v1', 'kubevirt.io/v1', 'kubevirt.io/v1alpha3']) {
    t.ok(versions.stdout.split('\n').includes(gv), `api-versions lists ${gv}`);
  }
});

t.test('kubectl explain works on built-ins and on CRD fields', async (t) => {
  const { kubectl } = shared;
  const replicas = await kubectl(['explain', 'deployment.spec.replicas']);
  t.equal(replicas.code, 0, replicas.stderr);
  t.match(replicas.stdout, 'FIELD: replicas <integer>');

  t.equal((await kubectl(['apply', '-f', operatorManifest])).code, 0);
  const configuration = await kubectl(['explain', 'kubevirt.spec.configuration']);
  t.equal(configuration.code, 0, configuration.stderr);
  t.match(configuration.stdout, 'GROUP:      kubevirt.io');
  t.match(configuration.stdout, 'holds kubevirt configurations');
  t.match(configuration.stdout, 'developerConfiguration');
});
