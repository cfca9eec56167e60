import t from 'tap';
import { unschedulableMessage } from '../../../../src/cluster/scheduling/fit-error.js';
import { filterNode } from '../../../../src/cluster/scheduling/filters.js';
import { node, pod, requesting, snapshot } from './fixtures.js';

t.test('the message counts reasons over the nodes, sorted, then what preemption found', async (t) => {
  const cp = node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  const workers = [node('w1'), node('w2')];
  const infos = [cp, ...workers].map((n) => ({ node: n, pods: [] }));
  const picky = pod('p', { nodeSelector: { disk: 'ssd' } });
  const failures = infos.map((info) => filterNode(picky, info, snapshot(...infos))!);
  t.equal(
    unschedulableMessage(failures),
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
  );
});

t.test('resource shortages leave preemption looking for victims', async (t) => {
  const infos = [node('w1'), node('w2', { unschedulable: true })].map((n) => ({ node: n, pods: [] }));
  const big = pod('p', requesting({ cpu: '64', memory: '1Ti' }));
  const failures = infos.map((info) => filterNode(big, info, snapshot(...infos))!);
  t.equal(
    unschedulableMessage(failures),
    '0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
  );
});

t.test('without nodes the scheduler says so', async (t) => {
  t.equal(unschedulableMessage([]), 'no nodes available to schedule pods');
});
