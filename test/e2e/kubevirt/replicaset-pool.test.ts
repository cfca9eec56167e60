/**
 * The two replicating examples with the real kubectl: vmi-replicaset-cirros
 * and vm-pool-cirros are applied into a cluster with KubeVirt, their VMIs run,
 * `kubectl get vmirs` / `kubectl get vmpool` print the CRDs' printer columns,
 * and `kubectl scale` goes through the CRDs' scale subresource.
 */
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { installKubeVirt, kubevirtSchema } from '../../helpers/kubevirt.js';
import { parseTable } from '../../helpers/kubectl.js';

let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 2 });
  await installKubeVirt(fixture);
});

/** Polls a jsonpath until it reads `want` (15 s); answers what it read last. */
async function waitFor(args: string[], jsonpath: string, want: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const read = (await fixture.kubectl(['get', ...args, '-o', `jsonpath=${jsonpath}`])).stdout;
    if (read === want || Date.now() > deadline) return read;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const RS_VMIS = ['vmi', '-l', 'kubevirt.io/vmReplicaSet=vmi-replicaset-cirros'];

t.test('vmi-replicaset-cirros: three VMIs run; get vmirs; kubectl scale', async (t) => {
  const { kubectl } = fixture;
  const apply = await kubectl(['apply', '-f', kubevirtSchema('examples/vmi-replicaset-cirros.yaml')]);
  t.equal(apply.stdout.trim(), 'virtualmachineinstancereplicaset.kubevirt.io/vmi-replicaset-cirros created', apply.stderr);
  t.equal(await waitFor(RS_VMIS, '{.items[*].status.phase}', 'Running Running Running'), 'Running Running Running');
  t.match(
    (await kubectl(['get', ...RS_VMIS, '-o', 'name'])).stdout,
    /^(virtualmachineinstance\.kubevirt\.io\/vmi-replicaset-cirros[a-z0-9]{5}\n){3}$/,
  );
  t.equal(await waitFor(['vmirs', 'vmi-replicaset-cirros'], '{.status.readyReplicas}', '3'), '3');

  const get = parseTable((await kubectl(['get', 'vmirs'])).stdout);
  t.same(get.header, ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
  t.match(get.rows, [['vmi-replicaset-cirros', '3', '3', '3', /^\d+s$/]]);

  const scale = await kubectl(['scale', 'vmirs', 'vmi-replicaset-cirros', '--replicas=1']);
  t.equal(scale.stdout.trim(), 'virtualmachineinstancereplicaset.kubevirt.io/vmi-replicaset-cirros scaled', scale.stderr);
  t.equal(
    await waitFor(['vmirs', 'vmi-replicaset-cirros'], '{.spec.replicas} {.status.replicas} {.status.readyReplicas}', '1 1 1'),
    '1 1 1',
  );
  const events = (
    await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=vmi-replicaset-cirros', '-o', 'jsonpath={.items[*].reason}'])
  ).stdout.split(' ');
  t.equal(events.filter((reason) => reason === 'SuccessfulCreate').length, 3);
  t.equal(events.filter((reason) => reason === 'SuccessfulDelete').length, 2);
});

t.test('vm-pool-cirros: VMs <pool>-<index> run; get vmpool; kubectl scale', async (t) => {
  const { kubectl } = fixture;
  const apply = await kubectl(['apply', '-f', kubevirtSchema('examples/vm-pool-cirros.yaml')]);
  t.equal(apply.stdout.trim(), 'virtualmachinepool.pool.kubevirt.io/vm-pool-cirros created', apply.stderr);
  for (const index of [0, 1, 2]) {
    t.equal(await waitFor(['vm', `vm-pool-cirros-${index}`], '{.status.printableStatus}', 'Running'), 'Running');
    t.equal(
      await waitFor(['vmi', `vm-pool-cirros-${index}`], '{.status.phase} {.status.conditions[?(@.type=="Ready")].status}', 'Running True'),
      'Running True',
    );
  }
  t.equal(await waitFor(['vmpool', 'vm-pool-cirros'], '{.status.readyReplicas}', '3'), '3');

  const get = parseTable((await kubectl(['get', 'vmpool'])).stdout);
  t.same(get.header, ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
  t.match(get.rows, [['vm-pool-cirros', '3', '3', '3', /^\d+s$/]]);

  const scale = await kubectl(['scale', 'vmpool', 'vm-pool-cirros', '--replicas=4']);
  t.equal(scale.stdout.trim(), 'virtualmachinepool.pool.kubevirt.io/vm-pool-cirros scaled', scale.stderr);
  t.equal(await waitFor(['vm', 'vm-pool-cirros-3'], '{.status.printableStatus}', 'Running'), 'Running', 'the next index');
  t.equal(await waitFor(['vmpool', 'vm-pool-cirros'], '{.status.replicas} {.status.readyReplicas}', '4 4'), '4 4');
});
