// The simulated cluster's remaining acceptance checks, through the real kubectl: virt-operator becomes Available
// where its affinity and tolerations allow, a DaemonSet covers every eligible node (also one added later), and an
// impossible nodeSelector leaves a pod Pending with the scheduler's message.
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { operatorManifest } from '../api/manifests.js';

t.test('virt-operator becomes Available with 2 ready pods; kubectl wait returns', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  t.equal((await kubectl(['apply', '-f', operatorManifest])).code, 0);
  const wait = await kubectl(['-n', 'kubevirt', 'wait', 'deploy/virt-operator', '--for', 'condition=Available', '--timeout=60s']);
  t.equal(wait.code, 0, wait.stderr);
  t.match(wait.stdout, 'deployment.apps/virt-operator condition met');
  const pods = await kubectl([
    '-n',
    'kubevirt',
    'get',
    'pods',
    '-l',
    'kubevirt.io=virt-operator',
    '-o',
    'jsonpath={range .items[*]}{.status.phase} {.spec.nodeName} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
  ]);
  const rows = pods.stdout.trim().split('\n');
  t.equal(rows.length, 2);
  // The manifest requires a node-role.kubernetes.io/control-plane node and tolerates its taint.
  for (const row of rows) t.equal(row, 'Running kubevirt-emulator-control-plane True');
});

const daemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'busybox' }] } },
  },
};

const node = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
});

t.test('a DaemonSet gets one pod per eligible node, also on a node added later', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  t.equal((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(daemonSet) })).code, 0);
  const rollout = await kubectl(['rollout', 'status', 'ds/agent', '--timeout=60s']);
  t.equal(rollout.code, 0, rollout.stderr);
  const nodesOf = async () =>
    (await kubectl(['get', 'pods', '-l', 'app=agent', '-o', 'jsonpath={.items[*].spec.nodeName}'])).stdout
      .split(' ')
      .filter(Boolean)
      .sort();
  // Without a toleration the control-plane taint keeps the DaemonSet to the two workers.
  t.same(await nodesOf(), ['kubevirt-emulator-worker', 'kubevirt-emulator-worker2']);

  t.equal((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(node('kubevirt-emulator-worker3')) })).code, 0);
  t.equal((await kubectl(['wait', 'node/kubevirt-emulator-worker3', '--for', 'condition=Ready', '--timeout=30s'])).code, 0);
  const grown = await kubectl(['rollout', 'status', 'ds/agent', '--timeout=60s']);
  t.equal(grown.code, 0, grown.stderr);
  t.same(await nodesOf(), ['kubevirt-emulator-worker', 'kubevirt-emulator-worker2', 'kubevirt-emulator-worker3']);
  const status = await kubectl(['get', 'ds', 'agent', '-o', 'jsonpath={.status.desiredNumberScheduled} {.status.numberReady}']);
  t.equal(status.stdout, '3 3');
});

t.test('a pod with an impossible nodeSelector stays Pending with the scheduler’s reason', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'picky', namespace: 'default' },
    spec: { nodeSelector: { disktype: 'ssd' }, containers: [{ name: 'c', image: 'nginx' }] },
  };
  t.equal((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) })).code, 0);
  const wait = await kubectl([
    'wait',
    'pod/picky',
    '--for',
    'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}=Unschedulable',
    '--timeout=30s',
  ]);
  t.equal(wait.code, 0, wait.stderr);
  const message = await kubectl(['get', 'pod', 'picky', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']);
  t.equal(
    message.stdout,
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
  );
  const phase = await kubectl(['get', 'pod', 'picky', '-o', 'jsonpath={.status.phase}']);
  t.equal(phase.stdout, 'Pending');
  const events = await kubectl([
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=picky,reason=FailedScheduling',
    '-o',
    'jsonpath={.items[0].type}',
  ]);
  t.equal(events.stdout, 'Warning');
});
