/**
 * Acceptance 4, scale-to-zero with the real kubectl: virt-operator
 * reconciles only while its Deployment has a ready pod. Scaled to 0, a
 * deleted operand stays deleted; scaled back to 1, it is restored.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { withEmulator } from '../../helpers/cluster.js';
import { installKubeVirt } from '../../helpers/kubevirt.js';

/** Long enough for a running operator to have restored an operand many times over. */
const UNRECONCILED_MS = 2000;

t.test('scaled to zero, virt-operator restores nothing; scaled back, it does', async (t) => {
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl } = fixture;
  await installKubeVirt(fixture);

  t.equal((await kubectl(['-n', 'kubevirt', 'scale', 'deploy', 'virt-operator', '--replicas=0'])).code, 0);
  const gone = await kubectl(['-n', 'kubevirt', 'wait', 'pod', '-l', 'kubevirt.io=virt-operator', '--for=delete', '--timeout=60s'], { timeoutMs: 70_000 });
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
  const available = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=60s'], { timeoutMs: 70_000 });
  t.equal(available.code, 0, available.stderr);
});
