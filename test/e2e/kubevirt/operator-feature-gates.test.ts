/**
 * Acceptance 4, feature gates with the real kubectl: turning on
 * DecentralizedLiveMigration in the KubeVirt CR makes virt-operator deploy
 * the synchronization controller; turning it off removes it again.
 */
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { installKubeVirt } from '../../helpers/kubevirt.js';

const GATES_PATH = '{.spec.configuration.developerConfiguration.featureGates}';

t.test('toggling DecentralizedLiveMigration adds and removes virt-synchronization-controller', async (t) => {
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl } = fixture;
  await installKubeVirt(fixture);
  const absent = await kubectl(['-n', 'kubevirt', 'get', 'deploy', 'virt-synchronization-controller']);
  t.not(absent.code, 0, 'an Alpha gate is off by default');

  const on = await kubectl(['-n', 'kubevirt', 'patch', 'kv', 'kubevirt', '--type', 'merge', '-p', JSON.stringify({ spec: { configuration: { developerConfiguration: { featureGates: ['DecentralizedLiveMigration'] } } } })]);
  t.equal(on.code, 0, on.stderr);
  t.equal((await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', `jsonpath=${GATES_PATH}`])).stdout, '["DecentralizedLiveMigration"]');
  const created = await kubectl(['-n', 'kubevirt', 'wait', 'deploy/virt-synchronization-controller', '--for=create', '--timeout=30s'], { timeoutMs: 40_000 });
  t.equal(created.code, 0, created.stderr);
  const image = await kubectl(['-n', 'kubevirt', 'get', 'deploy', 'virt-synchronization-controller', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
  t.equal(image.stdout, 'quay.io/kubevirt/virt-synchronization-controller:v1.9.0-rc.2');
  const available = await kubectl(['-n', 'kubevirt', 'wait', 'deploy/virt-synchronization-controller', '--for', 'condition=Available', '--timeout=30s'], { timeoutMs: 40_000 });
  t.equal(available.code, 0, available.stderr);

  const off = await kubectl(['-n', 'kubevirt', 'patch', 'kv', 'kubevirt', '--type', 'merge', '-p', JSON.stringify({ spec: { configuration: { developerConfiguration: { featureGates: [] } } } })]);
  t.equal(off.code, 0, off.stderr);
  const deleted = await kubectl(['-n', 'kubevirt', 'wait', 'deploy/virt-synchronization-controller', '--for=delete', '--timeout=30s'], { timeoutMs: 40_000 });
  t.equal(deleted.code, 0, deleted.stderr);
  const stillAvailable = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=30s'], { timeoutMs: 40_000 });
  t.equal(stillAvailable.code, 0, stillAvailable.stderr);
});
