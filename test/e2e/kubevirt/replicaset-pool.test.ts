/**
 * The two replicating examples with the real kubectl: vmi-replicaset-cirros
 * and vm-pool-cirros are applied into a cluster with KubeVirt, their VMIs run,
 * `kubectl get vmirs` / `kubectl get vmpool` print the CRDs' printer columns,
 * and `kubectl scale` goes through the CRDs' scale subresource.
 */
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { rawClient } from '../../helpers/raw-https.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';
import { parseTable } from '../../helpers/kubectl.js';

let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 2, installKubeVirt: true });
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

// pool.go update: a template change rewrites every VM from the new revision (opportunistic, SuccessfulUpdate) and,
// with the default proactive strategy, restarts each VMI started from the old template, never more than
// maxUnavailable of them not Ready at once (SuccessfulDelete "Successfully updated resource"); the old revision is
// pruned once nothing refers to it.
t.test('vm-pool-cirros: a template change rolls out to the VMs and their VMIs, maxUnavailable at a time', async (t) => {
  const { kubectl } = fixture;
  const vmisPath = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances?labelSelector=kubevirt.io%2Fvmpool%3Dvm-pool-cirros';
  const from = (await kubectl(['get', '--raw', vmisPath])).stdout;
  const resourceVersion = JSON.parse(from).metadata.resourceVersion as string;
  const patch = {
    spec: { maxUnavailable: 1, virtualMachineTemplate: { spec: { template: { spec: { domain: { memory: { guest: '256Mi' } } } } } } },
  };
  t.equal((await kubectl(['patch', 'vmpool', 'vm-pool-cirros', '--type', 'merge', '-p', JSON.stringify(patch)])).code, 0);
  const revision = `vm-pool-cirros-${(await kubectl(['get', 'vmpool', 'vm-pool-cirros', '-o', 'jsonpath={.metadata.generation}'])).stdout}`;
  const rolledOut = [0, 1, 2, 3].map(() => `${revision} 256Mi True`).join(' ');
  const vmiState =
    '{range .items[*]}{.metadata.labels.kubevirt\\.io/vm-pool-revision-name} {.spec.domain.memory.guest} ' +
    '{.status.conditions[?(@.type=="Ready")].status} {end}';
  const deadline = Date.now() + 60_000;
  let state = '';
  while (state.trim() !== rolledOut && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    state = (await kubectl(['get', 'vmi', '-l', 'kubevirt.io/vmpool=vm-pool-cirros', '-o', `jsonpath=${vmiState}`])).stdout;
  }
  t.equal(state.trim(), rolledOut, 'every VMI restarted from the new revision and Ready');
  t.equal(
    (
      await kubectl([
        'get',
        'vm',
        '-l',
        'kubevirt.io/vmpool=vm-pool-cirros',
        '-o',
        'jsonpath={.items[*].metadata.labels.kubevirt\\.io/vm-pool-revision-name}',
      ])
    ).stdout,
    [0, 1, 2, 3].map(() => revision).join(' '),
  );

  // Replaying the VMIs' watch from before the change: at no moment were two of the four VMIs not Ready.
  const watch = await rawClient(fixture.emulator.url, fixture.kubeconfigPath).send(
    'GET',
    `${vmisPath}&watch=1&resourceVersion=${resourceVersion}&timeoutSeconds=1`,
  );
  const ready = new Map<string, boolean>();
  let worst = 0;
  for (const line of watch.text.split('\n').filter(Boolean)) {
    const { type, object } = JSON.parse(line);
    const isReady =
      type !== 'DELETED' &&
      !object.metadata.deletionTimestamp &&
      (object.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    ready.set(object.metadata.name, isReady);
    worst = Math.max(worst, [...ready.values()].filter((r) => !r).length);
  }
  t.equal(worst, 1, 'at most maxUnavailable (1) VMI not Ready at a time');

  const events = (
    await kubectl([
      'get',
      'events',
      '--field-selector',
      'involvedObject.kind=VirtualMachinePool,involvedObject.name=vm-pool-cirros',
      '-o',
      'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}',
    ])
  ).stdout;
  for (const index of [0, 1, 2, 3]) {
    t.match(events, `SuccessfulUpdate: Updated VM default/vm-pool-cirros-${index}\n`);
    t.match(events, `SuccessfulDelete: Successfully updated resource default/vm-pool-cirros-${index}\n`);
  }
  const revisions = async () =>
    (
      await kubectl([
        'get',
        'controllerrevisions',
        '-o',
        'jsonpath={.items[?(@.metadata.ownerReferences[0].kind=="VirtualMachinePool")].metadata.name}',
      ])
    ).stdout;
  t.equal(
    await (async () => {
      for (let i = 0; i < 50 && (await revisions()) !== revision; i++) await new Promise((resolve) => setTimeout(resolve, 200));
      return revisions();
    })(),
    revision,
    'only the current revision is left',
  );
});

// pool.go autoHealFailingVMs (v1.9): with spec.autohealing, a VM whose printableStatus is a failure (here ErrImagePull:
// its containerDisk's registry never resolves) and whose Ready condition has been False for minFailingToStartDuration
// goes through scale-in, and the pool creates it anew. The Ready condition copied from the VMI has lastProbeTime null,
// which KubeVirt reads as failing since ever: the VM is replaced at once.
t.test('a pool with autohealing replaces a VM that cannot start', async (t) => {
  const { kubectl } = fixture;
  const pool = {
    apiVersion: 'pool.kubevirt.io/v1beta1',
    kind: 'VirtualMachinePool',
    metadata: { name: 'healing', namespace: 'default' },
    spec: {
      replicas: 1,
      autohealing: {},
      selector: { matchLabels: { 'kubevirt.io/vmpool': 'healing' } },
      virtualMachineTemplate: {
        metadata: { labels: { 'kubevirt.io/vmpool': 'healing' } },
        spec: {
          runStrategy: 'Always',
          template: {
            spec: {
              domain: { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] }, memory: { guest: '128Mi' } },
              volumes: [{ name: 'containerdisk', containerDisk: { image: 'registry.invalid/kubevirt/cirros-container-disk-demo:v1.9.0' } }],
            },
          },
        },
      },
    },
  };
  t.equal((await kubectl(['create', '-f', '-'], { input: JSON.stringify(pool) })).code, 0);
  const events = async () =>
    (
      await kubectl([
        'get',
        'events',
        '--field-selector',
        'involvedObject.kind=VirtualMachinePool,involvedObject.name=healing,reason=SuccessfulDelete',
        '-o',
        'jsonpath={.items[*].message}',
      ])
    ).stdout;
  let deleted = '';
  for (let i = 0; i < 75 && !deleted; i++) {
    deleted = await events();
    if (!deleted) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const uid = /^Deleted VM default\/healing-0 with uid ([0-9a-f-]{36}) from pool/.exec(deleted)?.[1];
  t.ok(uid, `the failing VM was removed from the pool: ${deleted}`);
  let replaced = '';
  for (let i = 0; i < 75 && (!replaced || replaced === uid); i++) {
    replaced = (await kubectl(['get', 'vm', 'healing-0', '--ignore-not-found', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    if (!replaced || replaced === uid) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.not(replaced, uid, 'and created anew under the same name');
  t.equal((await kubectl(['delete', 'vmpool', 'healing', '--wait=true', '--timeout=30s'])).code, 0);
});
