/**
 * `kubectl cordon`, `drain` and `uncordon` with the real kubectl: a drain
 * evicts through pods/eviction, is held back by a PodDisruptionBudget, and
 * completes as the Deployment's replacement pods become ready elsewhere.
 */
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';

const WORKER = 'kubevirt-emulator-worker';

const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: default
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: web}
`;

t.test('drain evicts within the disruption budget and leaves the node cordoned', async (t) => {
  const { kubectl } = await withEmulator(t, { workers: 2 });
  const applied = await kubectl(['apply', '-f', '-'], { input: manifests });
  t.equal(applied.code, 0, applied.stderr);
  const rollout = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
  t.equal(rollout.code, 0, rollout.stderr);

  const drain = await kubectl(['drain', WORKER, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s'], { timeoutMs: 130_000 });
  t.equal(drain.code, 0, drain.stderr);
  t.match(drain.stdout, `node/${WORKER} cordoned`);
  t.match(drain.stdout, /evicting pod default\/web-/);
  t.match(drain.stdout, `node/${WORKER} drained`);

  const cordoned = await kubectl(['get', 'node', WORKER, '-o', 'jsonpath={.spec.unschedulable}']);
  t.equal(cordoned.stdout, 'true');
  const placement = await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}']);
  t.notMatch(placement.stdout, new RegExp(`^${WORKER}$`, 'm'), 'no web pod is left on the drained node');
  const ready = await kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}']);
  t.equal(ready.stdout, '3');

  const uncordon = await kubectl(['uncordon', WORKER]);
  t.equal(uncordon.code, 0, uncordon.stderr);
  t.match(uncordon.stdout, `node/${WORKER} uncordoned`);
  const schedulable = await kubectl(['get', 'node', WORKER, '-o', 'jsonpath={.spec.unschedulable}']);
  t.equal(schedulable.stdout, '');
});
