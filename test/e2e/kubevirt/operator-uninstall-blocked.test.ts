/**
 * `uninstallStrategy: BlockUninstallIfWorkloadsExist` with the real kubectl:
 * virt-operator's kubevirt-validator.kubevirt.io webhook refuses to delete
 * the KubeVirt CR while a VM exists, and lets the uninstall through once
 * the VM is gone.
 */
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { installKubeVirt, kubevirtSchema } from '../../helpers/kubevirt.js';

/** The webhook answers 400 with no reason, so kubectl names no reason either. */
const REFUSAL =
  'Error from server: admission webhook "kubevirt-validator.kubevirt.io" denied the request: Rejecting the uninstall request, since there are still Virtual Machines present. Either delete all KubeVirt related workloads or change the uninstall strategy before uninstalling KubeVirt.';

t.test('kubectl delete kv is refused while a VM exists, allowed once it is deleted', async (t) => {
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl } = fixture;
  await installKubeVirt(fixture);
  const strategy = await kubectl(['-n', 'kubevirt', 'patch', 'kv', 'kubevirt', '--type', 'merge', '-p', '{"spec":{"uninstallStrategy":"BlockUninstallIfWorkloadsExist"}}']);
  t.equal(strategy.code, 0, strategy.stderr);
  const vm = await kubectl(['create', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  t.equal(vm.code, 0, vm.stderr);

  const refused = await kubectl(['-n', 'kubevirt', 'delete', 'kv', 'kubevirt']);
  t.not(refused.code, 0);
  t.equal(refused.stderr.trim(), REFUSAL);
  t.equal((await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'jsonpath={.status.phase}'])).stdout, 'Deployed', 'the install is untouched');

  t.equal((await kubectl(['delete', 'vm', 'vm-cirros'])).code, 0);
  const deleted = await kubectl(['-n', 'kubevirt', 'delete', 'kv', 'kubevirt', '--timeout=60s'], { timeoutMs: 70_000 });
  t.equal(deleted.code, 0, deleted.stderr);
  t.match(deleted.stdout, 'kubevirt.kubevirt.io "kubevirt" deleted');
  t.not((await kubectl(['get', 'crd', 'virtualmachines.kubevirt.io'])).code, 0, 'the uninstall ran');
});
