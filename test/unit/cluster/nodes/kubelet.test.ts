import t from 'tap';
import type { Pod } from '../../../../src/kube/pods.js';
import { POD, podOn, until, virtualEmulator } from './virtual-emulator.js';

const WORKER = 'kubevirt-emulator-worker';

t.test('a pod bound to a node runs with an IP from the node pod CIDR', async (t) => {
  const { emulator, clock } = await virtualEmulator(t, { profile: 'realistic' });
  const { client } = emulator;
  await client.create(podOn(WORKER, 'web'));
  const creating = await until(clock, async () => {
    const pod = await client.get<Pod>(POD, 'default', 'web');
    return pod.status?.containerStatuses?.[0]?.state?.waiting ? pod : undefined;
  });
  t.equal(creating.status?.phase, 'Pending');
  t.equal(creating.status?.containerStatuses?.[0].state?.waiting?.reason, 'ContainerCreating');
  t.equal(creating.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  const running = await until(clock, async () => {
    const pod = await client.get<Pod>(POD, 'default', 'web');
    return pod.status?.phase === 'Running' ? pod : undefined;
  });
  t.match(running.status?.podIP, /^10\.244\.1\.\d+$/);
  t.equal(running.status?.hostIP, '172.18.0.3');
  t.match(running.status?.containerStatuses?.[0].containerID, /^containerd:\/\/[0-9a-f]{64}$/);
  t.match(running.status?.containerStatuses?.[0].imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
  t.equal(running.status?.containerStatuses?.[0].image, 'docker.io/library/nginx:1.27');
  t.equal(running.status?.qosClass, 'BestEffort');
  t.same(
    running.status?.conditions?.map((c) => [c.type, c.status]),
    [
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ],
  );
  const events = await client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
  const reasons = events.items.filter((e) => (e.involvedObject as { name: string }).name === 'web').map((e) => e.reason);
  t.same(reasons, ['Pulling', 'Pulled', 'Created', 'Started']);
});

t.test('graceful delete: containers stop, then the kubelet removes the pod', async (t) => {
  const { emulator, clock } = await virtualEmulator(t, { profile: 'realistic' });
  const { client } = emulator;
  await client.create(podOn(WORKER, 'web'));
  await until(clock, async () => (await client.get<Pod>(POD, 'default', 'web')).status?.phase === 'Running');
  await client.delete(POD, 'default', 'web');
  const terminating = await client.get<Pod>(POD, 'default', 'web');
  t.ok(terminating.metadata.deletionTimestamp, 'the pod waits for its kubelet');
  t.equal(terminating.metadata.deletionGracePeriodSeconds, 30);
  const gone = await until(
    clock,
    async () => {
      try {
        await client.get(POD, 'default', 'web');
        return false;
      } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    },
    5_000,
  );
  t.ok(gone, 'removed within the profile stop time, long before the grace period');
  const events = await client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
  t.ok(events.items.some((e) => e.reason === 'Killing' && e.message === 'Stopping container nginx'));
});

t.test('init containers run first; a run-to-completion pod completes, a bare pod with restartPolicy Never keeps running', async (t) => {
  const { emulator, clock } = await virtualEmulator(t, { profile: 'realistic' });
  const { client } = emulator;
  const initContainers = [{ name: 'setup', image: 'busybox:1.36', command: ['sh', '-c', 'echo ready'] }];
  await client.create(podOn(WORKER, 'with-init', { initContainers }));
  const initializing = await until(clock, async () => {
    const pod = await client.get<Pod>(POD, 'default', 'with-init');
    return pod.status?.initContainerStatuses?.[0]?.state?.running ? pod : undefined;
  });
  t.equal(initializing.status?.containerStatuses?.[0].state?.waiting?.reason, 'PodInitializing');
  t.match(
    initializing.status?.conditions?.find((c) => c.type === 'Initialized'),
    { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [setup]' },
  );
  const running = await until(
    clock,
    async () => {
      const pod = await client.get<Pod>(POD, 'default', 'with-init');
      return pod.status?.phase === 'Running' ? pod : undefined;
    },
    30_000,
  );
  t.match(running.status?.initContainerStatuses?.[0].state?.terminated, { exitCode: 0, reason: 'Completed' });

  // (A Job owner would do the same, but the garbage collector removes pods of a Job that does not exist.)
  await client.create(podOn(WORKER, 'job-pod', { restartPolicy: 'Never' }, { annotations: { 'emulator.kubevirt.io/run-duration': '5s' } }));
  await client.create(podOn(WORKER, 'never', { restartPolicy: 'Never' }));
  const done = await until(
    clock,
    async () => {
      const pod = await client.get<Pod>(POD, 'default', 'job-pod');
      return pod.status?.phase === 'Succeeded' ? pod : undefined;
    },
    30_000,
  );
  t.match(done.status?.containerStatuses?.[0].state?.terminated, { exitCode: 0, reason: 'Completed' });
  t.match(
    done.status?.conditions?.find((c) => c.type === 'Ready'),
    { status: 'False', reason: 'PodCompleted' },
  );
  await clock.advance(60_000);
  t.equal((await client.get<Pod>(POD, 'default', 'never')).status?.phase, 'Running');
});

t.test('a readiness probe delays Ready by its initial delay on the realistic profile', async (t) => {
  const { emulator, clock } = await virtualEmulator(t, { profile: 'realistic' });
  const { client } = emulator;
  await client.create(
    podOn(WORKER, 'probed', {
      containers: [{ name: 'app', image: 'nginx', readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 20 } }],
    }),
  );
  const running = await until(clock, async () => {
    const pod = await client.get<Pod>(POD, 'default', 'probed');
    return pod.status?.phase === 'Running' ? pod : undefined;
  });
  t.equal(running.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  await clock.advance(19_000);
  t.equal((await client.get<Pod>(POD, 'default', 'probed')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  // 20 s of initial delay plus the profile's readiness time (1 s, ±20 % jitter).
  await clock.advance(3_000);
  t.equal((await client.get<Pod>(POD, 'default', 'probed')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
});

t.test('the instant profile skips probe delays', async (t) => {
  const { emulator, clock } = await virtualEmulator(t);
  const { client } = emulator;
  await client.create(
    podOn(WORKER, 'quick', {
      containers: [{ name: 'app', image: 'nginx', readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 20 } }],
    }),
  );
  const ready = await until(
    clock,
    async () => {
      const pod = await client.get<Pod>(POD, 'default', 'quick');
      return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? pod : undefined;
    },
    1_000,
  );
  t.equal(ready.status?.phase, 'Running');
});

t.test('a running pod is not written again while nothing changes', async (t) => {
  const { emulator, clock } = await virtualEmulator(t);
  const { client } = emulator;
  await client.create(podOn(WORKER, 'quiet'));
  const running = await until(clock, async () => {
    const pod = await client.get<Pod>(POD, 'default', 'quiet');
    return pod.status?.phase === 'Running' ? pod : undefined;
  });
  await clock.advance(120_000);
  t.equal((await client.get<Pod>(POD, 'default', 'quiet')).metadata.resourceVersion, running.metadata.resourceVersion);
});

t.test('readiness gates: Ready waits for every gate condition some controller sets', async (t) => {
  const { emulator, clock } = await virtualEmulator(t);
  const { client } = emulator;
  const pod = podOn(WORKER, 'gated');
  pod.spec.readinessGates = [{ conditionType: 'example.com/feature-1' }];
  await client.create(pod);
  const readyOf = async () => (await client.get<Pod>(POD, 'default', 'gated')).status?.conditions?.find((c) => c.type === 'Ready');
  const missing = await until(clock, async () =>
    (await client.get<Pod>(POD, 'default', 'gated')).status?.phase === 'Running' ? readyOf() : undefined,
  );
  t.match(missing, {
    status: 'False',
    reason: 'ReadinessGatesNotReady',
    message: 'corresponding condition of pod readiness gate "example.com/feature-1" does not exist.',
  });

  const setGate = async (status: 'True' | 'False') => {
    const current = await client.get<Pod>(POD, 'default', 'gated');
    const others = (current.status?.conditions ?? []).filter((c) => c.type !== 'example.com/feature-1');
    await client.update<Pod>(
      { ...current, status: { ...current.status, conditions: [...others, { type: 'example.com/feature-1', status }] } },
      { subresource: 'status' },
    );
  };
  await setGate('False');
  const gateFalse = await until(clock, async () => {
    const ready = await readyOf();
    return ready?.message?.startsWith('the status') ? ready : undefined;
  });
  t.match(gateFalse, {
    status: 'False',
    reason: 'ReadinessGatesNotReady',
    message: 'the status of pod readiness gate "example.com/feature-1" is not "True", but False',
  });
  await setGate('True');
  t.ok(await until(clock, async () => (await readyOf())?.status === 'True'), 'Ready once the gate is True');
  // generateAPIPodStatus keeps the conditions the kubelet does not own first, then its own, PodScheduled last.
  t.same(
    (await client.get<Pod>(POD, 'default', 'gated')).status?.conditions?.map((c) => c.type),
    ['example.com/feature-1', 'PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
  );
});
