/**
 * The issue's user story with the real kubectl: install KubeVirt (operator +
 * CR, wait Available), apply vm-cirros (Halted), patch it to Always and
 * `kubectl wait --for condition=Ready`; then `kubectl get vm / vmi / vmi -o
 * wide` print the CRDs' printer columns with the running VM's values.
 */
import t from 'tap';
import { workerName } from '../../../src/cluster/nodes/index.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { installKubeVirt, kubevirtSchema } from '../../helpers/kubevirt.js';
import { parseTable } from '../../helpers/kubectl.js';


let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 1 });
  await installKubeVirt(fixture);
});

t.test('vm-cirros: apply (Halted), patch runStrategy Always, kubectl wait condition=Ready', async (t) => {
  const { kubectl } = fixture;
  const apply = await kubectl(['apply', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  t.equal(apply.code, 0, apply.stderr);
  t.equal(apply.stdout.trim(), 'virtualmachine.kubevirt.io/vm-cirros created');
  const stopped = await kubectl(['wait', 'vm/vm-cirros', '--for=jsonpath={.status.printableStatus}=Stopped', '--timeout=10s']);
  t.equal(stopped.code, 0, stopped.stderr);
  t.equal((await kubectl(['get', 'vmi', 'vm-cirros', '--ignore-not-found', '-o', 'name'])).stdout, '', 'a Halted VM has no VMI');

  const patchedAt = fixture.emulator.clock.now().toISOString();
  const patch = await kubectl(['patch', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Always"}}']);
  t.equal(patch.code, 0, patch.stderr);
  t.equal(patch.stdout.trim(), 'virtualmachine.kubevirt.io/vm-cirros patched');
  const startedAt = Date.now();
  const ready = await kubectl(['wait', 'vm/vm-cirros', '--for', 'condition=Ready', '--timeout=30s']);
  const waitMs = Date.now() - startedAt;
  t.equal(ready.code, 0, ready.stderr);
  t.equal(ready.stdout.trim(), 'virtualmachine.kubevirt.io/vm-cirros condition met');
  // On the instant profile the VM is Ready within milliseconds of the patch (watch-driven, no resync or requeue
  // delay); the rest is kubectl starting up. A stalled watch (the server holding its headers until the 10 s
  // keep-alive) or a periodic resync would take seconds. Loose bound: CI machines are shared.
  t.ok(waitMs < 3000, `kubectl wait returned after ${waitMs} ms`);
  const readySince = (await kubectl(['get', 'vm', 'vm-cirros', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].lastTransitionTime}'])).stdout;
  t.ok(Date.parse(readySince) - Date.parse(patchedAt) <= 1000, `Ready=True at ${readySince}, patched at ${patchedAt}`);
});

t.test('kubectl get vm / vmi / vmi -o wide print the printer columns with the running VM', async (t) => {
  const { kubectl } = fixture;
  const vm = parseTable((await kubectl(['get', 'vm'])).stdout);
  t.same(vm.header, ['NAME', 'AGE', 'STATUS', 'READY']);
  t.same(vm.rows.map(([name, , status, ready]) => [name, status, ready]), [['vm-cirros', 'Running', 'True']]);
  t.match(vm.rows[0]?.[1], /^\d+s$/);

  const ip = (await kubectl(['get', 'pod', '-l', 'vm.kubevirt.io/name=vm-cirros', '-o', 'jsonpath={.items[0].status.podIP}'])).stdout;
  t.match(ip, /^10\.244\.\d+\.\d+$/, 'the launcher pod has an IP');
  const vmi = parseTable((await kubectl(['get', 'vmi'])).stdout);
  t.same(vmi.header, ['NAME', 'AGE', 'PHASE', 'IP', 'NODENAME', 'READY']);
  t.same(vmi.rows.map(([name, , ...rest]) => [name, ...rest]), [['vm-cirros', 'Running', ip, workerName(1), 'True']]);

  const wide = parseTable((await kubectl(['get', 'vmi', '-o', 'wide'])).stdout);
  t.same(wide.header, ['NAME', 'AGE', 'PHASE', 'IP', 'NODENAME', 'READY', 'LIVE-MIGRATABLE', 'PAUSED']);
  // The default bridge binding to the pod network is not live-migratable; PAUSED is empty without a Paused condition.
  t.same(wide.rows.map(([name, , ...rest]) => [name, ...rest]), [['vm-cirros', 'Running', ip, workerName(1), 'True', 'False', '']]);

  const pods = await kubectl(['get', 'pods', '-l', 'kubevirt.io=virt-launcher', '-o', 'jsonpath={.items[*].metadata.name}']);
  t.match(pods.stdout, /^virt-launcher-vm-cirros-[a-z0-9]{5}$/);
  const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=vm-cirros', '-o', 'jsonpath={range .items[*]}{.involvedObject.kind}/{.reason}{"\\n"}{end}']);
  for (const expected of ['VirtualMachine/SuccessfulCreate', 'VirtualMachineInstance/SuccessfulCreate', 'VirtualMachineInstance/Created', 'VirtualMachineInstance/Started']) {
    t.match(events.stdout, expected);
  }
});
