/**
 * Acceptance 5 with the real kubectl: the operator manifest of another
 * version from a mirror (image and KUBEVIRT_VERSION edited) deploys that
 * version's operands from that registry, and the status says so.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withEmulator } from '../../helpers/cluster.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';

const REGISTRY = 'registry.example.com/kubevirt';
const VERSION = 'v1.8.2';

/** kubevirt-operator.yaml as a mirror of v1.8.2 would ship it. */
function editedOperatorManifest(): string {
  const original = readFileSync(kubevirtSchema('manifests/kubevirt-operator.yaml'), 'utf8');
  const edited = original.replaceAll('quay.io/kubevirt/virt-operator:v1.9.0-rc.2', `${REGISTRY}/virt-operator:${VERSION}`).replaceAll('v1.9.0-rc.2', VERSION);
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
  const wait = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=60s'], { timeoutMs: 70_000 });
  t.equal(wait.code, 0, wait.stderr);

  const images = await kubectl(['-n', 'kubevirt', 'get', 'deploy,ds', '-l', 'app.kubernetes.io/managed-by=virt-operator', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.template.spec.containers[0].image}{"\\n"}{end}']);
  const byName = Object.fromEntries(images.stdout.trim().split('\n').map((line) => line.split('=')));
  for (const name of ['virt-api', 'virt-controller', 'virt-exportproxy', 'virt-handler']) t.equal(byName[name], `${REGISTRY}/${name}:${VERSION}`, `${name} image`);

  const strategy = await kubectl(['-n', 'kubevirt', 'get', 'cm', '-l', 'kubevirt.io/install-strategy', '-o', 'jsonpath={range .items[*]}{.metadata.annotations.kubevirt\\.io/install-strategy-version} {.metadata.annotations.kubevirt\\.io/install-strategy-registry}{"\\n"}{end}']);
  t.equal(strategy.stdout.trim(), `${VERSION} ${REGISTRY}`, 'one install-strategy ConfigMap, of the edited version');

  const status = await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'jsonpath={.status.operatorVersion} {.status.targetKubeVirtVersion} {.status.targetKubeVirtRegistry} {.status.observedKubeVirtVersion} {.status.observedKubeVirtRegistry}']);
  t.equal(status.stdout, [VERSION, VERSION, REGISTRY, VERSION, REGISTRY].join(' '));
  const available = await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'jsonpath={.status.conditions[?(@.type=="Available")].message}']);
  t.equal(available.stdout, 'All components are ready.');
  const handlerPods = await kubectl(['-n', 'kubevirt', 'get', 'pods', '-l', 'kubevirt.io=virt-handler', '-o', 'jsonpath={.items[*].metadata.annotations.kubevirt\\.io/install-strategy-version}']);
  t.equal(handlerPods.stdout, VERSION, 'the pods carry the edited version');
});
