import t from 'tap';
import { nodeAggregates, withAddedPods } from '../../../../src/cluster/scheduling/node-aggregates.js';
import { deepFreeze } from '../../../../src/runtime/deep-freeze.js';
import { pod, requesting } from './fixtures.js';

const owned = (name: string, uid: string) =>
  pod(name, requesting({ cpu: '100m' }), {
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid, controller: true }],
  });
const antiAffine = pod('anti', {
  affinity: {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'x' } } },
      ],
    },
  },
});

t.test('sums over the pods of a node', async (t) => {
  const aggregates = nodeAggregates([
    owned('a', 'u1'),
    owned('b', 'u1'),
    owned('c', 'u2'),
    pod('d', requesting({ cpu: '1', memory: '1Gi' })),
    antiAffine,
  ]);
  t.equal(aggregates.requested.get('cpu'), 1300);
  t.equal(aggregates.requested.get('memory'), 1024 ** 3);
  t.same(
    [...aggregates.podsByController],
    [
      ['u1', 2],
      ['u2', 1],
    ],
  );
  t.same(
    aggregates.withRequiredAntiAffinity.map((p) => p.metadata.name),
    ['anti'],
  );
  t.equal(aggregates.scoring.milliCpu, 1300 + 100, 'a container without a cpu request (the anti-affine pod) counts as 100m for scoring');
  t.equal(aggregates.scoring.memory, 4 * 200 * 1024 ** 2 + 1024 ** 3, 'and one without a memory request as 200Mi');
});

t.test('a frozen pod list is summed once; a list that may change is summed every time', async (t) => {
  const frozen = Object.freeze([deepFreeze(owned('a', 'u1'))]);
  t.equal(nodeAggregates(frozen), nodeAggregates(frozen));
  const open = [owned('a', 'u1')];
  const before = nodeAggregates(open);
  open.push(owned('b', 'u1'));
  t.not(nodeAggregates(open), before);
  t.equal(nodeAggregates(open).podsByController.get('u1'), 2);
});

t.test('a pod added to a node adds its share: the same sums as summing the longer list afresh, the shorter list untouched', async (t) => {
  const base = Object.freeze([deepFreeze(owned('a', 'u1')), deepFreeze(pod('d', requesting({ cpu: '1', memory: '1Gi' })))]);
  const before = structuredClone(nodeAggregates(base));
  const added = [owned('b', 'u1'), owned('c', 'u2'), antiAffine];
  const longer = withAddedPods(base, added);
  t.ok(Object.isFrozen(longer));
  t.same(
    longer.map((p) => p.metadata.name),
    ['a', 'd', 'b', 'c', 'anti'],
  );
  t.same(nodeAggregates(longer), nodeAggregates([...base, ...added]), 'kept sums equal a fresh sum');
  t.same(nodeAggregates(base), before, 'the base list keeps its own sums');
});
