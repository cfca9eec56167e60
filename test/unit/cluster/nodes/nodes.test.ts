import t from 'tap';
import type { Lease, Node } from '../../../../src/kube/nodes.js';
import { virtualEmulator } from './virtual-emulator.js';

const NODE = { apiVersion: 'v1', kind: 'Node' } as const;
const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;

t.test('the cluster starts with kind-like nodes', async (t) => {
  const { emulator } = await virtualEmulator(t, { workers: 3 });
  const nodes = await emulator.client.list<Node>(NODE);
  t.same(nodes.items.map((n) => n.metadata.name).sort(), [
    'kubevirt-emulator-control-plane',
    'kubevirt-emulator-worker',
    'kubevirt-emulator-worker2',
    'kubevirt-emulator-worker3',
  ]);
  const cp = nodes.items.find((n) => n.metadata.name === 'kubevirt-emulator-control-plane')!;
  t.match(cp.metadata.labels, {
    'kubernetes.io/hostname': 'kubevirt-emulator-control-plane',
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'node-role.kubernetes.io/control-plane': '',
    'node.kubernetes.io/exclude-from-external-load-balancers': '',
  });
  t.same(cp.spec?.taints, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
  t.equal(cp.spec?.podCIDR, '10.244.0.0/24');
  t.equal(cp.spec?.providerID, 'kind://docker/kubevirt-emulator/kubevirt-emulator-control-plane');
  const worker2 = nodes.items.find((n) => n.metadata.name === 'kubevirt-emulator-worker2')!;
  t.notOk(worker2.metadata.labels?.['node-role.kubernetes.io/control-plane']);
  t.notOk(worker2.spec?.taints);
  t.same(worker2.spec?.podCIDRs, ['10.244.2.0/24']);
  t.same(worker2.status?.addresses, [
    { type: 'InternalIP', address: '172.18.0.4' },
    { type: 'Hostname', address: 'kubevirt-emulator-worker2' },
  ]);
  t.match(worker2.status?.capacity, { cpu: '8', pods: '110', 'hugepages-2Mi': '0' });
  t.same(
    worker2.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
    [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ],
  );
  t.match(worker2.status?.nodeInfo, {
    kubeletVersion: /^v1\.32\./,
    containerRuntimeVersion: /^containerd:\/\/1\.7\./,
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    machineID: /^[0-9a-f]{32}$/,
  });
});

t.test('kubelets renew their Lease every heartbeat', async (t) => {
  const { emulator, clock } = await virtualEmulator(t);
  await clock.advance(100);
  const first = await emulator.client.get<Lease>(LEASE, 'kube-node-lease', 'kubevirt-emulator-worker');
  t.match(first.spec, { holderIdentity: 'kubevirt-emulator-worker', leaseDurationSeconds: 40, renewTime: /\.\d{6}Z$/ });
  t.equal(first.metadata.ownerReferences?.[0].kind, 'Node');
  await clock.advance(10_000);
  const second = await emulator.client.get<Lease>(LEASE, 'kube-node-lease', 'kubevirt-emulator-worker');
  t.equal(Date.parse(second.spec!.renewTime!) - Date.parse(first.spec!.renewTime!), 10_000);
});

t.test('a Node created through the API gets a kubelet; deleting it stops the kubelet', async (t) => {
  const { emulator, clock } = await virtualEmulator(t);
  await emulator.client.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'extra', labels: { tier: 'gpu' } } });
  await clock.advance(100);
  const node = await emulator.client.get<Node>(NODE, undefined, 'extra');
  t.equal(node.spec?.podCIDR, '10.244.3.0/24');
  t.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  t.equal(node.status?.addresses?.[0].address, '172.18.0.5');
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'on-extra', namespace: 'default' } } as const;
  await emulator.client.create({ ...pod, spec: { nodeName: 'extra', containers: [{ name: 'c', image: 'busybox' }] } });
  await clock.advance(100);
  await emulator.client.delete(NODE, undefined, 'extra');
  await clock.advance(100);
  const lease = await emulator.client.get<Lease>(LEASE, 'kube-node-lease', 'extra');
  const renewed = lease.spec?.renewTime;
  await clock.advance(30_000);
  const after = await emulator.client.get<Lease>(LEASE, 'kube-node-lease', 'extra').catch(() => undefined);
  t.equal(after?.spec?.renewTime ?? renewed, renewed, 'no more renewals');
  t.ok(await emulator.client.get(pod, 'default', 'on-extra'), 'its pod is kept through the 40 s quarantine of the pod garbage collector');
  await clock.advance(15_000);
  const orphan = await emulator.client.get(pod, 'default', 'on-extra').catch((err: { code?: number }) => err.code);
  t.equal(orphan, 404, 'then force-deleted as an orphan');
});
