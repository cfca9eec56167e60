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
import { pullError } from '../../../../src/cluster/nodes/image-pulls.js';

const T0 = Date.UTC(2026, 0, 1);
const timing: Timing = {
  podStartMs: 1000,
  readinessMs: 500,
  probeDelays: true,
  jobRunMs: 5000,
  jitter: (ms) => ms,
  newContainerID: () => 'a'.repeat(64),
  imagePresent: () => false,
  pullError: (image) => pullError(image, false),
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
    plannedEvents(plan, Infinity).map((e) => [e.reason, e.atMs - T0]),
    [
      ['Pulling', 100],
      ['Pulled', 800],
      ['Created', 1000],
      ['Started', 1000],
    ],
  );
  t.equal(
    plannedEvents(plan, Infinity)[1].message,
    `Successfully pulled image "nginx" in 700ms (700ms including waiting). Image size: ${/\d+/.exec(plannedEvents(plan, Infinity)[1].message.split('Image size: ')[1])![0]} bytes.`,
  );
});

t.test('a present image with IfNotPresent is not pulled', async (t) => {
  const plan = planPod(pod({ containers: [{ name: 'c', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' }] }), T0, {
    ...timing,
    imagePresent: () => true,
  });
  t.same(
    plannedEvents(plan, Infinity).map((e) => e.reason),
    ['Pulled', 'Created', 'Started'],
  );
  t.equal(plannedEvents(plan, Infinity)[0].message, 'Container image "busybox:1.36" already present on machine');
});

t.test("each Event names its container as the kubelet's reference does (spec.initContainers{name}, spec.containers{name})", async (t) => {
  const plan = planPod(
    pod({
      initContainers: [{ name: 'setup', image: 'busybox:1.36' }],
      containers: [
        { name: 'compute', image: 'busybox:1.36' },
        { name: 'log', image: 'busybox:1.36' },
      ],
    }),
    T0,
    { ...timing, imagePresent: () => true },
  );
  const pulled = plannedEvents(plan, Infinity).filter((e) => e.reason === 'Pulled');
  t.same(
    pulled.map((e) => [e.fieldPath, e.message]),
    ['spec.initContainers{setup}', 'spec.containers{compute}', 'spec.containers{log}'].map((fieldPath) => [
      fieldPath,
      'Container image "busybox:1.36" already present on machine',
    ]),
    'the same message for three containers, told apart by fieldPath (client-go then writes three Events)',
  );
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

// kubelet v1.32 pkg/kubelet/images/image_manager.go: a failed pull reports ErrImagePull with the runtime's error, the
// next sync finds the image in back-off (ImagePullBackOff, "Back-off pulling image ..."); the back-off doubles from 10 s.
t.test('an image whose registry cannot resolve: ErrImagePull, ImagePullBackOff, retries on a doubling back-off', async (t) => {
  const image = 'registry.invalid/demo/disk:v1';
  const p = pod({ containers: [{ name: 'c', image }] });
  const plan = planPod(p, T0, timing);
  const waiting = (atMs: number) => podStatusAt(p, plan, { hostIP: '172.18.0.3' }, T0 + atMs).containerStatuses?.[0].state?.waiting;
  const error =
    'rpc error: code = Unknown desc = failed to pull and unpack image "registry.invalid/demo/disk:v1": failed to resolve reference ' +
    '"registry.invalid/demo/disk:v1": failed to do request: Head "https://registry.invalid/v2/demo/disk/manifests/v1": ' +
    'dial tcp: lookup registry.invalid: no such host';
  t.same(waiting(0), { reason: 'ContainerCreating' }, 'before the first pull fails');
  t.same(waiting(800), { reason: 'ErrImagePull', message: error });
  t.same(waiting(1800), { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` });
  t.same(waiting(10_800), { reason: 'ErrImagePull', message: error }, 'the second pull after 10 s');
  t.equal(waiting(11_800)?.reason, 'ImagePullBackOff');
  t.equal(waiting(30_800)?.reason, 'ErrImagePull', 'the third after 20 s more');
  t.equal(
    podStatusAt(p, plan, { hostIP: '172.18.0.3' }, T0 + 60_000).phase,
    'Pending',
    'a container that never started keeps the pod Pending',
  );
  t.same(
    [800, 1800, 10_800, 11_800, 30_800].map((ms) => nextChangeMs(plan, T0 + ms)! - T0),
    [1800, 10_800, 11_800, 30_800, 31_800],
  );
  t.same(
    plannedEvents(plan, T0 + 1800).map((e) => [e.type, e.reason, e.message]),
    [
      ['Normal', 'Pulling', `Pulling image "${image}"`],
      ['Warning', 'Failed', `Failed to pull image "${image}": ${error}`],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
      ['Normal', 'BackOff', `Back-off pulling image "${image}"`],
      ['Warning', 'Failed', 'Error: ImagePullBackOff'],
    ],
  );
  t.equal(plannedEvents(plan, T0 + 10_800).length, 8, 'the second pull: Pulling and both Failed once more');
});
