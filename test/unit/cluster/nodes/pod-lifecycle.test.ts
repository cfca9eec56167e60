import t from 'tap';
import type { Pod } from '../../../../src/kube/pods.js';
import {
  nextChangeMs,
  planPod,
  plannedEvents,
  podStatusAt,
  runToCompletionMs,
  type Timing,
} from '../../../../src/cluster/nodes/pod-lifecycle.js';

const T0 = Date.UTC(2026, 0, 1);
const timing: Timing = {
  podStartMs: 1000,
  readinessMs: 500,
  probeDelays: true,
  jobRunMs: 5000,
  jitter: (ms) => ms,
  newContainerID: () => 'a'.repeat(64),
  imagePresent: () => false,
};

const pod = (spec: Partial<Pod['spec']> = {}, metadata: Partial<Pod['metadata']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1', ...metadata },
  spec: { nodeName: 'n', containers: [{ name: 'c', image: 'nginx' }], ...spec },
});

t.test('run to completion: Job pods and pods with a run duration, never restartPolicy Always', async (t) => {
  const job = [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'x', controller: true }];
  t.equal(runToCompletionMs(pod({ restartPolicy: 'Never' }, { ownerReferences: job }), 5000), 5000);
  t.equal(
    runToCompletionMs(pod({ restartPolicy: 'OnFailure' }, { annotations: { 'emulator.kubevirt.io/run-duration': '1m30s' } }), 5000),
    90_000,
  );
  t.equal(runToCompletionMs(pod({ restartPolicy: 'Never' }), 5000), undefined);
  t.equal(runToCompletionMs(pod({ restartPolicy: 'Always' }, { ownerReferences: job }), 5000), undefined);
});

t.test('the plan: sandbox, pull, start; status at each instant', async (t) => {
  const p = pod();
  const plan = planPod(p, T0, timing);
  t.equal(plan.sandboxReadyMs, T0 + 100);
  t.match(plan.containers[0], { pullStartMs: T0 + 100, pulledMs: T0 + 800, startMs: T0 + 1000, readyMs: T0 + 1000 });
  plan.podIP = '10.244.1.2';
  const at0 = podStatusAt(p, plan, { hostIP: '172.18.0.3' }, T0);
  t.equal(at0.phase, 'Pending');
  t.notOk(at0.podIP, 'no address before the sandbox is ready');
  t.equal(at0.conditions?.[0].status, 'False');
  const at1 = podStatusAt(p, plan, { hostIP: '172.18.0.3' }, T0 + 1000);
  t.equal(at1.phase, 'Running');
  t.equal(at1.podIP, '10.244.1.2');
  t.equal(at1.containerStatuses?.[0].containerID, `containerd://${'a'.repeat(64)}`);
  t.equal(nextChangeMs(plan, T0), T0 + 100);
  t.equal(nextChangeMs(plan, T0 + 1000), undefined);
  t.same(
    plannedEvents(plan).map((e) => [e.reason, e.atMs - T0]),
    [
      ['Pulling', 100],
      ['Pulled', 800],
      ['Created', 1000],
      ['Started', 1000],
    ],
  );
  t.equal(
    plannedEvents(plan)[1].message,
    `Successfully pulled image "nginx" in 700ms (700ms including waiting). Image size: ${/\d+/.exec(plannedEvents(plan)[1].message.split('Image size: ')[1])![0]} bytes.`,
  );
});

t.test('a present image with IfNotPresent is not pulled', async (t) => {
  const plan = planPod(pod({ containers: [{ name: 'c', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' }] }), T0, {
    ...timing,
    imagePresent: () => true,
  });
  t.same(
    plannedEvents(plan).map((e) => e.reason),
    ['Pulled', 'Created', 'Started'],
  );
  t.equal(plannedEvents(plan)[0].message, 'Container image "busybox:1.36" already present on machine');
});

t.test('a restarted kubelet keeps the start instants and container IDs from the status', async (t) => {
  const p = pod();
  p.status = {
    startTime: '2026-01-01T00:00:00Z',
    containerStatuses: [
      {
        name: 'c',
        ready: true,
        restartCount: 0,
        image: 'x',
        imageID: 'y',
        containerID: `containerd://${'b'.repeat(64)}`,
        state: { running: { startedAt: '2026-01-01T00:00:03Z' } },
      },
    ],
  };
  const plan = planPod(p, T0 + 60_000, timing);
  t.equal(plan.admittedMs, T0);
  t.equal(plan.containers[0].startMs, T0 + 3000);
  t.equal(plan.containers[0].containerID, 'b'.repeat(64));
});

t.test('a stop ends running containers with exit code 0', async (t) => {
  const p = pod();
  const plan = planPod(p, T0, timing);
  plan.stopRequestedMs = T0 + 2000;
  plan.stopMs = T0 + 3000;
  const stopped = podStatusAt(p, plan, { hostIP: 'h' }, T0 + 3000);
  t.match(stopped.containerStatuses?.[0].state?.terminated, { exitCode: 0, reason: 'Completed', finishedAt: '2026-01-01T00:00:03Z' });
  t.equal(stopped.phase, 'Succeeded');
});
