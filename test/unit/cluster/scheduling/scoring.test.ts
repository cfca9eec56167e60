import t from 'tap';
import { leastAllocatedScore, selectNode } from '../../../../src/cluster/scheduling/scoring.js';
import { podRequests } from '../../../../src/cluster/scheduling/resources.js';
import { quantityValue, scheduledAmount } from '../../../../src/cluster/scheduling/quantity.js';
import { node, pod, requesting } from './fixtures.js';

const owned = (name: string, uid: string) =>
  pod(name, {}, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid, controller: true }] });
const first = () => 0;

t.test('quantities in scheduler units', async (t) => {
  t.equal(scheduledAmount('cpu', '500m'), 500);
  t.equal(scheduledAmount('cpu', '2'), 2000);
  t.equal(scheduledAmount('cpu', 0.25), 250);
  t.equal(scheduledAmount('memory', '1Gi'), 1024 ** 3);
  t.equal(scheduledAmount('memory', '1G'), 1e9);
  t.equal(scheduledAmount('memory', '1e3'), 1000);
  t.equal(scheduledAmount('devices.kubevirt.io/kvm', '1k'), 1000);
  t.ok(Number.isNaN(quantityValue('lots')));
});

t.test('pod requests add containers and sidecars, take the init peak, add overhead', async (t) => {
  const requests = podRequests(
    pod('p', {
      containers: [
        { name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } },
        { name: 'b', resources: { requests: { cpu: '200m' } } },
      ],
      initContainers: [
        { name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
        { name: 'init', resources: { requests: { cpu: '1' } } },
      ],
      overhead: { cpu: '10m' },
    }),
  );
  t.equal(requests.get('cpu'), 1060, 'the init container beside the sidecar (1050m) outweighs the containers (350m)');
  t.equal(requests.get('memory'), 64 * 1024 ** 2);
});

t.test('least allocated scoring prefers the emptier node', async (t) => {
  const empty = { node: node('a'), pods: [] };
  const busy = { node: node('b'), pods: [pod('x', requesting({ cpu: '2', memory: '4Gi' }))] };
  t.ok(leastAllocatedScore(pod('p'), empty) > leastAllocatedScore(pod('p'), busy));
  t.equal(selectNode(pod('p'), [busy, empty], first), 'a');
});

t.test('replicas of one owner spread over equal nodes', async (t) => {
  const a = { node: node('a'), pods: [owned('r1', 'rs-1'), pod('other', requesting({ cpu: '100m', memory: '200Mi' }))] };
  const b = { node: node('b'), pods: [owned('r2', 'rs-1'), owned('r3', 'rs-1'), pod('y', requesting({ cpu: '0', memory: '0' }))] };
  t.equal(leastAllocatedScore(owned('new', 'rs-1'), a), leastAllocatedScore(owned('new', 'rs-1'), b), 'equal load');
  t.equal(selectNode(owned('new', 'rs-1'), [b, a], first), 'a', 'fewer siblings wins');
});

t.test('ties are broken by the given choice among nodes in name order', async (t) => {
  const infos = ['c', 'a', 'b'].map((name) => ({ node: node(name), pods: [] }));
  t.equal(
    selectNode(pod('p'), infos, () => 0),
    'a',
  );
  t.equal(
    selectNode(pod('p'), infos, () => 2),
    'c',
  );
});
