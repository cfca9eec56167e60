import t from 'tap';
import {
  effectiveTaints,
  filterNode,
  findFeasibleNodes,
  matchesNodeSelectorAndAffinity,
  numFeasibleNodesToFind,
  tolerates,
  type NodeInfo,
} from '../../../../src/cluster/scheduling/filters.js';
import { node, pod, requesting, snapshot } from './fixtures.js';

const check = (p: ReturnType<typeof pod>, info: NodeInfo, ...others: NodeInfo[]) => filterNode(p, info, snapshot(info, ...others));
const free = (n: ReturnType<typeof node>): NodeInfo => ({ node: n, pods: [] });

t.test('tolerations match taints as v1.Toleration.ToleratesTaint does', async (t) => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
  t.ok(tolerates({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, taint));
  t.ok(tolerates({ key: 'dedicated', value: 'gpu' }, taint), 'empty effect matches every effect');
  t.ok(tolerates({ operator: 'Exists' }, taint), 'empty key with Exists matches everything');
  t.ok(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, taint));
  t.notOk(tolerates({ key: 'dedicated', value: 'cpu' }, taint));
  t.notOk(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint));
});

t.test('untolerated NoSchedule and NoExecute taints reject, PreferNoSchedule does not', async (t) => {
  const cp = node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  t.same(check(pod('p'), free(cp)), {
    reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
    unresolvable: true,
  });
  t.equal(
    check(
      pod('p', { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }),
      free(cp),
    ),
    undefined,
  );
  const soft = node('soft', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] });
  t.equal(check(pod('p'), free(soft)), undefined);
  const hard = node('hard', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] });
  t.same(check(pod('p'), free(hard))?.reasons, ['node(s) had untolerated taint {k: v}']);
});

t.test('a node that is not Ready carries the not-ready taint, a silent one the unreachable taint', async (t) => {
  t.same(effectiveTaints(node('n', { ready: 'False' })), [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
  t.same(effectiveTaints(node('n', { ready: 'Unknown' })), [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]);
  t.same(check(pod('p'), free(node('n', { ready: 'False' })))?.reasons, ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']);
  const tolerant = pod('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] });
  t.equal(check(tolerant, free(node('n', { ready: 'False' }))), undefined);
});

t.test('a cordoned node takes only pods tolerating node.kubernetes.io/unschedulable', async (t) => {
  const cordoned = free(node('n', { unschedulable: true }));
  t.same(check(pod('p'), cordoned), { reasons: ['node(s) were unschedulable'], unresolvable: true });
  const daemon = pod('d', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
  t.equal(check(daemon, cordoned), undefined);
});

t.test('nodeSelector and required node affinity', async (t) => {
  const n = node('worker-1', { labels: { disk: 'ssd', cores: '8' } });
  t.ok(matchesNodeSelectorAndAffinity(pod('p', { nodeSelector: { disk: 'ssd' } }), n));
  t.notOk(matchesNodeSelectorAndAffinity(pod('p', { nodeSelector: { disk: 'hdd' } }), n));
  const affinity = (
    ...expr: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt'; values?: string[] }>
  ) =>
    pod('p', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: expr }] } } },
    });
  t.ok(matchesNodeSelectorAndAffinity(affinity({ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }), n));
  t.notOk(matchesNodeSelectorAndAffinity(affinity({ key: 'disk', operator: 'NotIn', values: ['ssd'] }), n));
  t.ok(matchesNodeSelectorAndAffinity(affinity({ key: 'gpu', operator: 'DoesNotExist' }), n));
  t.notOk(matchesNodeSelectorAndAffinity(affinity({ key: 'gpu', operator: 'Exists' }), n));
  t.ok(matchesNodeSelectorAndAffinity(affinity({ key: 'cores', operator: 'Gt', values: ['4'] }), n));
  t.notOk(matchesNodeSelectorAndAffinity(affinity({ key: 'cores', operator: 'Lt', values: ['4'] }), n));
  t.notOk(matchesNodeSelectorAndAffinity(affinity({ key: 'disk', operator: 'Gt', values: ['4'] }), n), 'Gt needs an integer label');
  const byName = (name: string) =>
    pod('p', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }],
          },
        },
      },
    });
  t.ok(matchesNodeSelectorAndAffinity(byName('worker-1'), n));
  t.notOk(matchesNodeSelectorAndAffinity(byName('worker-2'), n));
  const twoTerms = pod('p', {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] },
            { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
          ],
        },
      },
    },
  });
  t.ok(matchesNodeSelectorAndAffinity(twoTerms, n), 'terms are ORed');
  t.same(check(pod('p', { nodeSelector: { disk: 'hdd' } }), free(n)), {
    reasons: ["node(s) didn't match Pod's node affinity/selector"],
    unresolvable: true,
  });
});

t.test('resources: requests against allocatable minus what bound pods request', async (t) => {
  const n = node('n', {
    allocatable: { cpu: '2', memory: '1Gi', pods: '3', 'ephemeral-storage': '512Mi', 'devices.kubevirt.io/kvm': '1' },
  });
  const busy: NodeInfo = { node: n, pods: [pod('a', requesting({ cpu: '1500m', memory: '512Mi', 'devices.kubevirt.io/kvm': '1' }))] };
  t.equal(check(pod('p', requesting({ cpu: '500m', memory: '512Mi' })), busy), undefined, 'exactly fits');
  t.same(check(pod('p', requesting({ cpu: '600m', memory: '600Mi' })), busy), {
    reasons: ['Insufficient cpu', 'Insufficient memory'],
    unresolvable: false,
  });
  t.same(check(pod('p', requesting({ 'devices.kubevirt.io/kvm': '1' })), busy)?.reasons, ['Insufficient devices.kubevirt.io/kvm']);
  t.same(check(pod('p', requesting({ 'ephemeral-storage': '1Gi' })), busy)?.reasons, ['Insufficient ephemeral-storage']);
  const full: NodeInfo = { node: n, pods: [pod('a'), pod('b'), pod('c')] };
  t.same(check(pod('p'), full)?.reasons, ['Too many pods']);
  const initHeavy = pod('p', {
    containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }],
    initContainers: [{ name: 'i', resources: { requests: { cpu: '3' } } }],
  });
  t.same(check(initHeavy, free(n))?.reasons, ['Insufficient cpu'], 'an init container peak counts');
});

t.test('host ports clash on port and protocol unless bound to different addresses', async (t) => {
  const withPort = (name: string, hostPort: number, extra: { hostIP?: string; protocol?: string } = {}) =>
    pod(name, { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort, ...extra }] }] });
  const info: NodeInfo = { node: node('n'), pods: [withPort('a', 8080, { hostIP: '10.0.0.1' })] };
  t.same(check(withPort('p', 8080), info), {
    reasons: ["node(s) didn't have free ports for the requested pod ports"],
    unresolvable: false,
  });
  t.equal(check(withPort('p', 8080, { protocol: 'UDP' }), info), undefined);
  t.equal(check(withPort('p', 8080, { hostIP: '10.0.0.2' }), info), undefined);
  t.equal(check(withPort('p', 8081), info), undefined);
});

t.test('inter-pod affinity and anti-affinity on kubernetes.io/hostname', async (t) => {
  const term = { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' };
  const db = pod('db-0', {}, { labels: { app: 'db' } });
  const n1: NodeInfo = { node: node('n1'), pods: [db] };
  const n2: NodeInfo = { node: node('n2'), pods: [] };
  const anti = pod(
    'db-1',
    { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } },
    { labels: { app: 'db' } },
  );
  t.same(check(anti, n1, n2), { reasons: ["node(s) didn't match pod anti-affinity rules"], unresolvable: false });
  t.equal(check(anti, n2, n1), undefined);
  const near = pod('web', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } });
  t.equal(check(near, n1, n2), undefined);
  t.same(check(near, n2, n1), { reasons: ["node(s) didn't match pod affinity rules"], unresolvable: true });
  const other = pod('db-x', {}, { labels: { app: 'db' }, namespace: 'other' });
  t.same(
    check(near, { node: node('n3'), pods: [other] })?.reasons,
    ["node(s) didn't match pod affinity rules"],
    'terms look in the pod namespace by default',
  );
  const firstOfGroup = pod(
    'db-0',
    { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } },
    { labels: { app: 'db' } },
  );
  t.equal(check(firstOfGroup, n2), undefined, 'the first pod of a group matching its own terms may go anywhere');
  const guarded: NodeInfo = {
    node: node('n1'),
    pods: [
      pod('solo', {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'noisy' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      }),
    ],
  };
  t.same(check(pod('noisy', {}, { labels: { app: 'noisy' } }), guarded)?.reasons, [
    "node(s) didn't satisfy existing pods anti-affinity rules",
  ]);
});

t.test('the first failing plugin decides: a cordoned node is reported as unschedulable, not for its taint', async (t) => {
  const n = node('n', { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] });
  t.same(check(pod('p'), free(n))?.reasons, ['node(s) were unschedulable']);
});

t.test('numFeasibleNodesToFind: all of a small cluster, then the adaptive share with at least 100 nodes', async (t) => {
  t.same([1, 99, 100, 144, 250, 1000, 5000, 10_000].map(numFeasibleNodesToFind), [1, 99, 100, 100, 120, 420, 500, 500]);
});

t.test('the filters stop at the nodes to find and the next search starts after the last node looked at', async (t) => {
  const full = (name: string): NodeInfo => ({ node: node(name, { allocatable: { pods: '0' } }), pods: [] });
  const nodes = Array.from({ length: 160 }, (_, i) => (i % 3 === 0 ? full(`n${i}`) : free(node(`n${i}`))));
  const cluster = snapshot(...nodes);
  const first = findFeasibleNodes(pod('p'), cluster, 0);
  t.equal(first.feasible.length, 100);
  t.equal(first.failures.length, 50, 'every third node is full');
  t.same(first.failures[0].reasons, ['Too many pods']);
  t.equal(first.nextStartIndex, 150, 'the 100th node that fits is n149');
  const second = findFeasibleNodes(pod('q'), cluster, first.nextStartIndex);
  t.same(
    second.feasible.slice(5, 8).map((info) => info.node.metadata.name),
    ['n158', 'n1', 'n2'],
    'round from the last node to the first',
  );
  const small = snapshot(...nodes.slice(0, 10));
  const all = findFeasibleNodes(pod('p'), small, 4);
  t.equal(all.feasible.length + all.failures.length, 10, 'below 100 nodes every node is looked at');
  t.equal(all.nextStartIndex, 4);
});

t.test('anti-affinity gathered once per cycle answers each node as a fresh look at the cluster does', async (t) => {
  const term = { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' };
  const inZone = (name: string, zone: string, pods: ReturnType<typeof pod>[] = []): NodeInfo => ({
    node: node(name, { labels: { zone } }),
    pods,
  });
  const guard = pod('guard', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } });
  const nodes = [
    inZone('a1', 'a', [guard]),
    inZone('a2', 'a'),
    inZone('b1', 'b'),
    inZone('b2', 'b', [pod('db-0', {}, { labels: { app: 'db' } })]),
  ];
  const db = pod(
    'db-1',
    { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } },
    { labels: { app: 'db' } },
  );
  const cluster = snapshot(...nodes);
  const shared = nodes.map((info) => filterNode(db, info, cluster)?.reasons ?? []);
  const fresh = nodes.map((info) => filterNode(db, info, snapshot(...nodes))?.reasons ?? []);
  t.same(shared, fresh);
  t.same(shared, [["node(s) didn't match pod affinity rules"], ["node(s) didn't match pod affinity rules"], [], []]);
  const noisy = pod('noisy', {}, { labels: { app: 'db' } });
  t.same(
    nodes.map((info) => filterNode(noisy, info, cluster)?.reasons ?? []),
    [["node(s) didn't satisfy existing pods anti-affinity rules"], ["node(s) didn't satisfy existing pods anti-affinity rules"], [], []],
    'a second pod in the same snapshot gets its own gathering',
  );
});
