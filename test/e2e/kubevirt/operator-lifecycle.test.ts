/**
 * virt-operator with the real kubectl; one file, so the process pays its
 * first-install warm-up once. The feature-gate and uninstall tests share one
 * install (the first leaves the gates off again, the second ends it); the
 * scale-to-zero test and the edited manifest have their own.
 *
 * Acceptance 4, feature gates with the real kubectl: turning on
 * DecentralizedLiveMigration in the KubeVirt CR makes virt-operator deploy
 * the synchronization controller; turning it off removes it again.
 *
 * Acceptance 4, scale-to-zero with the real kubectl: virt-operator
 * reconciles only while its Deployment has a ready pod. Scaled to 0, a
 * deleted operand stays deleted; scaled back to 1, it is restored.
 *
 * `uninstallStrategy: BlockUninstallIfWorkloadsExist` with the real kubectl:
 * virt-operator's kubevirt-validator.kubevirt.io webhook refuses to delete
 * the KubeVirt CR while a VM exists, and lets the uninstall through once
 * the VM is gone.
 *
 * Acceptance 5 with the real kubectl: the operator manifest of another
 * version from a mirror (image and KUBEVIRT_VERSION edited) deploys that
 * version's operands from that registry, and the status says so.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { installKubeVirt, kubevirtSchema, operandImages } from '../../helpers/kubevirt.js';

/** The KubeVirt CR's feature gates, as a user sets them with kubectl patch. */
const setFeatureGates = (kubectl: EmulatorFixture['kubectl'], featureGates: string[]) =>
  kubectl([
    '-n',
    'kubevirt',
    'patch',
    'kv',
    'kubevirt',
    '--type',
    'merge',
    '-p',
    JSON.stringify({ spec: { configuration: { developerConfiguration: { featureGates } } } }),
  ]);

const GATES_PATH = '{.spec.configuration.developerConfiguration.featureGates}';

/** One install, by kubectl, for the feature-gate test and then the uninstall test. */
let installed: EmulatorFixture;
t.before(async () => {
  installed = await withEmulator(t, { workers: 1 });
  await installKubeVirt(installed);
});

t.test('toggling DecentralizedLiveMigration adds and removes virt-synchronization-controller', async (t) => {
  const { kubectl } = installed;
  const absent = await kubectl(['-n', 'kubevirt', 'get', 'deploy', 'virt-synchronization-controller']);
  t.not(absent.code, 0, 'an Alpha gate is off by default');

  const on = await setFeatureGates(kubectl, ['DecentralizedLiveMigration']);
  t.equal(on.code, 0, on.stderr);
  t.equal(
    (await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', `jsonpath=${GATES_PATH}`])).stdout,
    '["DecentralizedLiveMigration"]',
  );
  const created = await kubectl(['-n', 'kubevirt', 'wait', 'deploy/virt-synchronization-controller', '--for=create', '--timeout=30s'], {
    timeoutMs: 40_000,
  });
  t.equal(created.code, 0, created.stderr);
  const image = await kubectl([
    '-n',
    'kubevirt',
    'get',
    'deploy',
    'virt-synchronization-controller',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  ]);
  t.equal(image.stdout, 'quay.io/kubevirt/virt-synchronization-controller:v1.9.0-rc.2');
  const available = await kubectl(
    ['-n', 'kubevirt', 'wait', 'deploy/virt-synchronization-controller', '--for', 'condition=Available', '--timeout=30s'],
    { timeoutMs: 40_000 },
  );
  t.equal(available.code, 0, available.stderr);

  const off = await setFeatureGates(kubectl, []);
  t.equal(off.code, 0, off.stderr);
  const deleted = await kubectl(['-n', 'kubevirt', 'wait', 'deploy/virt-synchronization-controller', '--for=delete', '--timeout=30s'], {
    timeoutMs: 40_000,
  });
  t.equal(deleted.code, 0, deleted.stderr);
  const stillAvailable = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=30s'], {
    timeoutMs: 40_000,
  });
  t.equal(stillAvailable.code, 0, stillAvailable.stderr);
});

/** Long enough for a running operator to have restored an operand many times over. */
const UNRECONCILED_MS = 2000;

t.test('scaled to zero, virt-operator restores nothing; scaled back, it does', async (t) => {
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl } = fixture;
  await installKubeVirt(fixture);

  t.equal((await kubectl(['-n', 'kubevirt', 'scale', 'deploy', 'virt-operator', '--replicas=0'])).code, 0);
  const gone = await kubectl(['-n', 'kubevirt', 'wait', 'pod', '-l', 'kubevirt.io=virt-operator', '--for=delete', '--timeout=60s'], {
    timeoutMs: 70_000,
  });
  t.equal(gone.code, 0, gone.stderr);
  const deleted = await kubectl(['-n', 'kubevirt', 'delete', 'deploy', 'virt-exportproxy']);
  t.equal(deleted.code, 0, deleted.stderr);
  const role = await kubectl(['delete', 'clusterrole', 'kubevirt.io:view']);
  t.equal(role.code, 0, role.stderr);
  await sleep(UNRECONCILED_MS);
  t.not((await kubectl(['-n', 'kubevirt', 'get', 'deploy', 'virt-exportproxy'])).code, 0, 'the Deployment is not restored');
  t.not((await kubectl(['get', 'clusterrole', 'kubevirt.io:view'])).code, 0, 'the ClusterRole is not restored');

  t.equal((await kubectl(['-n', 'kubevirt', 'scale', 'deploy', 'virt-operator', '--replicas=1'])).code, 0);
  for (const args of [['-n', 'kubevirt', 'deploy/virt-exportproxy'], ['clusterrole/kubevirt.io:view']]) {
    const restored = await kubectl(['wait', ...args, '--for=create', '--timeout=60s'], { timeoutMs: 70_000 });
    t.equal(restored.code, 0, `${args.join(' ')} restored: ${restored.stderr}`);
  }
  const available = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=60s'], {
    timeoutMs: 70_000,
  });
  t.equal(available.code, 0, available.stderr);
});

/** The webhook answers 400 with no reason, so kubectl names no reason either. */
const REFUSAL =
  'Error from server: admission webhook "kubevirt-validator.kubevirt.io" denied the request: Rejecting the uninstall request, since there are still Virtual Machines present. Either delete all KubeVirt related workloads or change the uninstall strategy before uninstalling KubeVirt.';

t.test('kubectl delete kv is refused while a VM exists, allowed once it is deleted', async (t) => {
  const { kubectl } = installed;
  const strategy = await kubectl([
    '-n',
    'kubevirt',
    'patch',
    'kv',
    'kubevirt',
    '--type',
    'merge',
    '-p',
    '{"spec":{"uninstallStrategy":"BlockUninstallIfWorkloadsExist"}}',
  ]);
  t.equal(strategy.code, 0, strategy.stderr);
  const vm = await kubectl(['create', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  t.equal(vm.code, 0, vm.stderr);

  const refused = await kubectl(['-n', 'kubevirt', 'delete', 'kv', 'kubevirt']);
  t.not(refused.code, 0);
  t.equal(refused.stderr.trim(), REFUSAL);
  t.equal(
    (await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'jsonpath={.status.phase}'])).stdout,
    'Deployed',
    'the install is untouched',
  );

  t.equal((await kubectl(['delete', 'vm', 'vm-cirros'])).code, 0);
  const deleted = await kubectl(['-n', 'kubevirt', 'delete', 'kv', 'kubevirt', '--timeout=60s'], { timeoutMs: 70_000 });
  t.equal(deleted.code, 0, deleted.stderr);
  t.match(deleted.stdout, 'kubevirt.kubevirt.io "kubevirt" deleted');
  t.not((await kubectl(['get', 'crd', 'virtualmachines.kubevirt.io'])).code, 0, 'the uninstall ran');
});

const REGISTRY = 'registry.example.com/kubevirt';
const VERSION = 'v1.8.2';

/** kubevirt-operator.yaml as a mirror of v1.8.2 would ship it. */
function editedOperatorManifest(): string {
  const original = readFileSync(kubevirtSchema('manifests/kubevirt-operator.yaml'), 'utf8');
  const edited = original
    .replaceAll('quay.io/kubevirt/virt-operator:v1.9.0-rc.2', `${REGISTRY}/virt-operator:${VERSION}`)
    .replaceAll('v1.9.0-rc.2', VERSION);
  // The release manifest names its version only in the image, VIRT_OPERATOR_IMAGE and KUBEVIRT_VERSION.
  if (edited.split(VERSION).length !== 4) throw new Error('kubevirt-operator.yaml no longer names its version exactly three times');
  return edited;
}

t.test('an edited operator manifest deploys its own version and registry', async (t) => {
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl } = fixture;
  const manifestPath = join(fixture.kubeconfigPath, '..', 'kubevirt-operator-v1.8.2.yaml');
  writeFileSync(manifestPath, editedOperatorManifest());
  for (const file of [manifestPath, kubevirtSchema('manifests/kubevirt-cr.yaml')]) {
    const applied = await kubectl(['apply', '-f', file]);
    t.equal(applied.code, 0, applied.stderr);
  }
  const wait = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=60s'], {
    timeoutMs: 70_000,
  });
  t.equal(wait.code, 0, wait.stderr);

  const byName = await operandImages(kubectl);
  for (const name of ['virt-api', 'virt-controller', 'virt-exportproxy', 'virt-handler'])
    t.equal(byName[name], `${REGISTRY}/${name}:${VERSION}`, `${name} image`);

  const strategy = await kubectl([
    '-n',
    'kubevirt',
    'get',
    'cm',
    '-l',
    'kubevirt.io/install-strategy',
    '-o',
    'jsonpath={range .items[*]}{.metadata.annotations.kubevirt\\.io/install-strategy-version} {.metadata.annotations.kubevirt\\.io/install-strategy-registry}{"\\n"}{end}',
  ]);
  t.equal(strategy.stdout.trim(), `${VERSION} ${REGISTRY}`, 'one install-strategy ConfigMap, of the edited version');

  const status = await kubectl([
    '-n',
    'kubevirt',
    'get',
    'kv',
    'kubevirt',
    '-o',
    'jsonpath={.status.operatorVersion} {.status.targetKubeVirtVersion} {.status.targetKubeVirtRegistry} {.status.observedKubeVirtVersion} {.status.observedKubeVirtRegistry}',
  ]);
  t.equal(status.stdout, [VERSION, VERSION, REGISTRY, VERSION, REGISTRY].join(' '));
  const available = await kubectl([
    '-n',
    'kubevirt',
    'get',
    'kv',
    'kubevirt',
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Available")].message}',
  ]);
  t.equal(available.stdout, 'All components are ready.');
  const handlerPods = await kubectl([
    '-n',
    'kubevirt',
    'get',
    'pods',
    '-l',
    'kubevirt.io=virt-handler',
    '-o',
    'jsonpath={.items[*].metadata.annotations.kubevirt\\.io/install-strategy-version}',
  ]);
  t.equal(handlerPods.stdout, VERSION, 'the pods carry the edited version');
});
