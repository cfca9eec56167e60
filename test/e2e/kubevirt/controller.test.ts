/**
 * The vm-cirros story with the real kubectl: apply the example VM (Halted),
 * patch it to Always, and watch virt-controller create the VMI and its
 * launcher pod until the VMI is Scheduled. virt-controller runs ungated here
 * (no operator) and the virt-handler side of the nodes is faked through the API.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { withEmulator } from '../../helpers/cluster.js';
import type { ComponentContext } from '../../../src/runtime/component-context.js';
import { virtControllerCore } from '../../../src/kubevirt/controller/index.js';
import { SharedInformerFactory } from '../../../src/runtime/informer.js';
import { silentLogger } from '../../../src/runtime/logger.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtinProfile } from '../../../src/simulation/profile.js';
import { fakeHandlerOnNodes } from '../../unit/kubevirt/controller/harness.js';

const schema = (path: string): string => fileURLToPath(new URL(`../../../schemas/kubevirt/${path}`, import.meta.url));

t.test('kubectl: vm-cirros patched to Always gets a Scheduled VMI and a virt-launcher pod', async (t) => {
  const { emulator, kubectl } = await withEmulator(t, { workers: 1 });
  for (const crd of ['virtualmachines.kubevirt.io', 'virtualmachineinstances.kubevirt.io', 'kubevirts.kubevirt.io']) {
    const applied = await kubectl(['create', '-f', schema(`crds/${crd}.yaml`)]);
    t.equal(applied.code, 0, applied.stderr);
  }
  const established = await kubectl([
    'wait',
    '--for=condition=Established',
    'crd/virtualmachines.kubevirt.io',
    'crd/virtualmachineinstances.kubevirt.io',
    '--timeout=30s',
  ]);
  t.equal(established.code, 0, established.stderr);
  await fakeHandlerOnNodes(emulator.client);
  const informers = new SharedInformerFactory(emulator.client, { clock: emulator.clock, logger: silentLogger });
  const ctx: ComponentContext = {
    client: emulator.client,
    informers,
    clock: emulator.clock,
    random: new SeededRandom(3),
    profile: builtinProfile('instant')!,
    logger: silentLogger,
    serveSubresource: () => {},
  };
  const controller = virtControllerCore(ctx);
  informers.start();
  await controller.start();
  t.teardown(async () => {
    await controller.stop();
    informers.stop();
  });

  const apply = await kubectl(['apply', '-f', schema('examples/vm-cirros.yaml')]);
  t.equal(apply.code, 0, apply.stderr);
  t.match(apply.stdout, 'virtualmachine.kubevirt.io/vm-cirros created');
  const stopped = await kubectl(['wait', 'vm/vm-cirros', '--for=jsonpath={.status.printableStatus}=Stopped', '--timeout=30s']);
  t.equal(stopped.code, 0, stopped.stderr);

  const patch = await kubectl(['patch', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Always"}}']);
  t.equal(patch.code, 0, patch.stderr);
  const scheduled = await kubectl(['wait', 'vmi/vm-cirros', '--for=jsonpath={.status.phase}=Scheduled', '--timeout=60s'], {
    timeoutMs: 70_000,
  });
  t.equal(scheduled.code, 0, scheduled.stderr);

  const vm = await kubectl(['get', 'vm', 'vm-cirros']);
  t.match(vm.stdout, /vm-cirros\s+\S+\s+Starting\s+False/);
  const pods = await kubectl(['get', 'pods', '-l', 'kubevirt.io=virt-launcher,vm.kubevirt.io/name=vm-cirros', '-o', 'name']);
  t.match(pods.stdout.trim(), /^pod\/virt-launcher-vm-cirros-[a-z0-9]{5}$/);
  const node = await kubectl(['get', 'vmi', 'vm-cirros', '-o', 'jsonpath={.status.nodeName}={.metadata.labels.kubevirt\\.io/nodeName}']);
  const [statusNode, labelNode] = node.stdout.split('=');
  t.ok(statusNode && statusNode === labelNode, `nodeName ${node.stdout}`);
  const events = await kubectl([
    'get',
    'events',
    '--field-selector',
    'involvedObject.kind=VirtualMachine,involvedObject.name=vm-cirros',
    '-o',
    'jsonpath={.items[*].reason}',
  ]);
  t.match(events.stdout, 'SuccessfulCreate');
});
