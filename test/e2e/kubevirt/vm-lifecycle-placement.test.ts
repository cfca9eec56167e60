/**
 * Placement with the real kubectl: three VMs on two workers whose templates
 * carry node affinity and pod anti-affinity land where the rules say (the
 * launcher pod gets the VMI's affinity, kubevirt-behaviour.md §2.6), and a
 * fourth whose anti-affinity no node satisfies is ErrorUnschedulable (§1.6 #8).
 */
import t from 'tap';
import { stringify } from 'yaml';
import { workerName } from '../../../src/cluster/nodes/index.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

const ZONE = 'topology.kubernetes.io/zone';

/** A small Always VM (cirros containerDisk) with the given template labels and affinity. */
function vm(name: string, labels: Record<string, string>, affinity: object): object {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name },
    spec: {
      runStrategy: 'Always',
      template: {
        metadata: { labels },
        spec: {
          affinity,
          domain: {
            devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] },
            resources: { requests: { memory: '128Mi' } },
          },
          volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }],
        },
      },
    },
  };
}

const avoid = (labelSelector: object) => ({
  podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector, topologyKey: 'kubernetes.io/hostname' }] },
});

let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 2, installKubeVirt: true });
  for (const [worker, zone] of [
    [workerName(1), 'zone-a'],
    [workerName(2), 'zone-b'],
  ]) {
    const labelled = await fixture.kubectl(['label', 'node', worker!, `${ZONE}=${zone}`]);
    if (labelled.code !== 0) throw new Error(labelled.stderr);
  }
});

t.test('node affinity and pod anti-affinity decide the nodes of three VMs', async (t) => {
  const { kubectl } = fixture;
  const vms = [
    // Required node affinity: zone-a is worker 1 only.
    vm(
      'web-a',
      { app: 'web' },
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-a'] }] }],
          },
        },
      },
    ),
    // Not on a node that runs another app=web VM: worker 1 has web-a.
    vm('web-b', { app: 'web' }, avoid({ matchLabels: { app: 'web' } })),
    // Preferring zone-a, but required to stay away from web-a: worker 2.
    vm(
      'db',
      { app: 'db' },
      {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 100, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-a'] }] } },
          ],
        },
        ...avoid({
          matchExpressions: [
            { key: 'app', operator: 'In', values: ['web'] },
            { key: 'vm.kubevirt.io/name', operator: 'In', values: ['web-a'] },
          ],
        }),
      },
    ),
  ];
  // One at a time: web-b's anti-affinity needs web-a's launcher pod placed first.
  for (const manifest of vms) {
    const name = (manifest as { metadata: { name: string } }).metadata.name;
    const applied = await kubectl(['apply', '-f', '-'], { input: stringify(manifest) });
    t.equal(applied.code, 0, applied.stderr);
    const ready = await kubectl(['wait', `vm/${name}`, '--for', 'condition=Ready', '--timeout=20s']);
    t.equal(ready.code, 0, `${name}: ${ready.stderr}`);
  }
  const nodes = await kubectl(['get', 'vmi', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.nodeName}{"\\n"}{end}']);
  t.same(
    Object.fromEntries(
      nodes.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=')),
    ),
    { 'web-a': workerName(1), 'web-b': workerName(2), db: workerName(2) },
  );
  const launchers = await kubectl([
    'get',
    'pods',
    '-l',
    'kubevirt.io=virt-launcher',
    '-o',
    'jsonpath={range .items[*]}{.metadata.labels.vm\\.kubevirt\\.io/name}={.spec.nodeName}{"\\n"}{end}',
  ]);
  t.same(
    Object.fromEntries(
      launchers.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=')),
    ),
    { 'web-a': workerName(1), 'web-b': workerName(2), db: workerName(2) },
    'the launcher pods run where their VMIs report',
  );
});

t.test('a VM whose anti-affinity no node satisfies is ErrorUnschedulable', async (t) => {
  const { kubectl } = fixture;
  const applied = await kubectl(['apply', '-f', '-'], {
    input: stringify(vm('web-c', { app: 'web' }, avoid({ matchLabels: { app: 'web' } }))),
  });
  t.equal(applied.code, 0, applied.stderr);
  const status = await kubectl(['wait', 'vm/web-c', '--for=jsonpath={.status.printableStatus}=ErrorUnschedulable', '--timeout=20s']);
  t.equal(status.code, 0, status.stderr);
  const condition = await kubectl([
    'get',
    'vmi',
    'web-c',
    '-o',
    'jsonpath={.status.phase} {.status.conditions[?(@.type=="PodScheduled")].reason}',
  ]);
  t.equal(condition.stdout, 'Scheduling Unschedulable', "the VMI waits in Scheduling with the pod's PodScheduled=False condition (§2.3)");
  const vmCondition = await kubectl(['get', 'vm', 'web-c', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']);
  t.match(vmCondition.stdout, /^0\/3 nodes are available: .*didn't match pod anti-affinity rules/);
});
