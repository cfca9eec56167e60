/**
 * virt-handler with the real kubectl: after the release manifests are
 * applied the worker is schedulable for VMs with the device plugins'
 * resources, and vm-cirros started with runStrategy Always runs with an IP
 * and a serial console log.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workerName } from '../../../src/cluster/nodes/index.js';
import { withEmulator } from '../../helpers/cluster.js';

const schema = (path: string): string => fileURLToPath(new URL(`../../../schemas/kubevirt/${path}`, import.meta.url));

t.test('kubectl: node agent facade, then vm-cirros Running with an IP and a console log', async (t) => {
  const { kubectl } = await withEmulator(t, { workers: 1 });
  t.equal((await kubectl(['apply', '-f', schema('manifests/kubevirt-operator.yaml')])).code, 0);
  t.equal((await kubectl(['apply', '-f', schema('manifests/kubevirt-cr.yaml')])).code, 0);
  const wait = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=150s'], {
    timeoutMs: 160_000,
  });
  t.equal(wait.code, 0, wait.stderr);

  const worker = workerName(1);
  const kvm = await kubectl(['get', 'node', worker, '-o', 'jsonpath={.status.allocatable.devices\\.kubevirt\\.io/kvm}']);
  t.equal(kvm.stdout, '1k');
  const schedulable = await kubectl(['get', 'nodes', '-l', 'kubevirt.io/schedulable=true', '-o', 'name']);
  t.match(schedulable.stdout, `node/${worker}`);

  const vm = readFileSync(schema('examples/vm-cirros.yaml'), 'utf8').replace('runStrategy: Halted', 'runStrategy: Always');
  t.equal((await kubectl(['apply', '-f', '-'], { input: vm })).code, 0);
  const running = await kubectl(['wait', 'vmi', 'vm-cirros', '--for=jsonpath={.status.phase}=Running', '--timeout=60s'], {
    timeoutMs: 70_000,
  });
  t.equal(running.code, 0, running.stderr);
  const ip = await kubectl(['get', 'vmi', 'vm-cirros', '-o', 'jsonpath={.status.interfaces[0].ipAddress}']);
  t.match(ip.stdout, /^10\.244\.\d+\.\d+$/);
  const console = await kubectl(['logs', '-l', 'kubevirt.io=virt-launcher', '-c', 'guest-console-log', '--tail=-1']);
  t.match(console.stdout, 'vm-cirros login:');
});
