/**
 * A simulated pod's life as a plan of instants (sandbox ready, each
 * container pulled, started, ready, finished, stopped) fixed when the kubelet
 * admits the pod, and the pod status that plan gives at any moment. Pure
 * functions: the kubelet writes the status at each instant and the unit tests
 * read it at any instant they like.
 */
import { rfc3339 } from '../../runtime/clock.js';
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from '../../kube/pods.js';
import { podQosClass } from '../../kube/pods.js';
import { formatGoDuration, parseGoDuration } from './durations.js';
import { failedPullEvents, nextPullChangeMs, pullWaitingAt, type ContainerEvent, type PullWaiting } from './image-pulls.js';
import { effectivePullPolicy, imageID, imageSizeBytes, normalizeImage } from './images.js';

/** Overrides how long a run-to-completion pod's containers run (a Go duration or seconds). */
export const RUN_DURATION_ANNOTATION = 'emulator.kubevirt.io/run-duration';

export interface ContainerPlan {
  name: string;
  image: string;
  init: boolean;
  /** An init container with restartPolicy Always: starts in order, then keeps running. */
  sidecar: boolean;
  /** No pull (image present and policy allows); the Pulled event then says so. */
  imagePresent: boolean;
  /** The runtime's error when every pull of the image fails (see image-pulls.ts); the container then never starts. */
  pullError?: string;
  pullStartMs: number;
  /** When the image is pulled, or (with pullError) when the first pull fails. */
  pulledMs: number;
  startMs: number;
  readyMs: number;
  /** When the container exits by itself with code 0 (init containers, run-to-completion pods). */
  exitMs?: number;
  containerID: string;
}

export interface PodPlan {
  uid: string;
  admittedMs: number;
  sandboxReadyMs: number;
  containers: ContainerPlan[];
  podIP?: string;
  /** When the kubelet saw the deletion and began stopping containers. */
  stopRequestedMs?: number;
  /** When the containers are all stopped after a deletion. */
  stopMs?: number;
}

export interface Timing {
  podStartMs: number;
  readinessMs: number;
  /** Whether a probe's initialDelaySeconds counts. */
  probeDelays: boolean;
  jobRunMs: number;
  /** Spreads a delay by the profile's jitter. */
  jitter(ms: number): number;
  /** A fresh container ID (64 hex digits). */
  newContainerID(): string;
  /** Whether the node already holds this image. */
  imagePresent(image: string): boolean;
  /** The runtime's error for a pull of the image, when it fails. */
  pullError(image: string): string | undefined;
}

/** Of the pod start time: sandbox 10%, image pull 70%, create and start 20%. */
const SANDBOX_SHARE = 0.1;
const PULL_SHARE = 0.7;
const START_SHARE = 0.2;

/** Pods that run to completion: Job pods, and pods that say how long they run; others run until deleted. */
export function runToCompletionMs(pod: Pod, jobRunMs: number): number | undefined {
  if ((pod.spec.restartPolicy ?? 'Always') === 'Always') return undefined;
  const annotation = pod.metadata.annotations?.[RUN_DURATION_ANNOTATION];
  if (annotation !== undefined) return parseGoDuration(annotation);
  return pod.metadata.ownerReferences?.some((o) => o.kind === 'Job' && o.controller) ? jobRunMs : undefined;
}

const existingState = (pod: Pod, name: string, init: boolean): ContainerStatus | undefined =>
  (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses)?.find((s) => s.name === name);

const startedAtOf = (status: ContainerStatus | undefined): string | undefined =>
  status?.state?.running?.startedAt ?? status?.state?.terminated?.startedAt;

/**
 * Plans a pod the kubelet sees for the first time. A pod that already has a
 * status (the kubelet restarted) keeps its start time, container IDs and
 * start instants, so a restarted kubelet carries on where the old one was.
 */
export function planPod(pod: Pod, nowMs: number, timing: Timing): PodPlan {
  const startTime = pod.status?.startTime;
  const admittedMs = startTime ? Math.min(Date.parse(startTime), nowMs) : nowMs;
  // Whole milliseconds: the plan's instants become timestamps and timer due times.
  const startDelay = Math.round(timing.jitter(timing.podStartMs));
  const sandboxReadyMs = admittedMs + Math.round(startDelay * SANDBOX_SHARE);
  const runMs = runToCompletionMs(pod, timing.jobRunMs);
  const containers: ContainerPlan[] = [];
  let cursor = sandboxReadyMs;

  const plan = (container: Container, init: boolean, startAfterMs: number): ContainerPlan => {
    const image = container.image ?? '';
    const policy = effectivePullPolicy(image, container.imagePullPolicy);
    const imagePresent = policy === 'Never' || (policy === 'IfNotPresent' && timing.imagePresent(image));
    const failure = imagePresent ? undefined : timing.pullError(image);
    const pullMs = imagePresent ? 0 : Math.round(startDelay * PULL_SHARE);
    const createMs = Math.round(startDelay * START_SHARE);
    const existing = existingState(pod, container.name, init);
    const startedAt = startedAtOf(existing);
    const startMs = failure ? Infinity : startedAt ? Date.parse(startedAt) : startAfterMs + pullMs + createMs;
    const sidecar = init && container.restartPolicy === 'Always';
    const probe = container.readinessProbe;
    const readyMs = probe
      ? startMs + Math.round(timing.jitter(timing.readinessMs)) + (timing.probeDelays ? (probe.initialDelaySeconds ?? 0) * 1000 : 0)
      : startMs;
    const exitMs =
      init && !sidecar
        ? startMs + Math.round(timing.jitter(timing.jobRunMs))
        : !init && runMs !== undefined
          ? startMs + Math.round(runMs)
          : undefined;
    return {
      name: container.name,
      image,
      init,
      sidecar,
      imagePresent,
      ...(failure ? { pullError: failure } : {}),
      pullStartMs: failure ? startAfterMs : startMs - pullMs - createMs,
      pulledMs: failure ? startAfterMs + pullMs : startMs - createMs,
      startMs,
      readyMs,
      exitMs,
      containerID: existing?.containerID?.replace(/^containerd:\/\//, '') ?? timing.newContainerID(),
    };
  };

  for (const container of pod.spec.initContainers ?? []) {
    const planned = plan(container, true, cursor);
    containers.push(planned);
    // The next init container starts once this one has finished, or (a sidecar) has started.
    cursor = planned.sidecar ? planned.startMs : (planned.exitMs ?? planned.startMs);
  }
  for (const container of pod.spec.containers ?? []) containers.push(plan(container, false, cursor));
  return { uid: pod.metadata.uid ?? '', admittedMs, sandboxReadyMs, containers, podIP: pod.status?.podIP };
}

type StateKind = 'waiting' | 'running' | 'terminated';

interface ContainerAt {
  plan: ContainerPlan;
  kind: StateKind;
  ready: boolean;
  /** Why a container whose image cannot be pulled waits. */
  pullWaiting?: PullWaiting;
}

function containerAt(plan: ContainerPlan, pod: PodPlan, nowMs: number): ContainerAt {
  const stopped = pod.stopMs !== undefined && nowMs >= pod.stopMs;
  if (plan.pullError !== undefined) {
    return { plan, kind: 'waiting', ready: false, pullWaiting: pullWaitingAt(plan.image, plan.pullError, plan.pulledMs, nowMs) };
  }
  if (nowMs < plan.startMs) return { plan, kind: 'waiting', ready: false };
  if ((plan.exitMs !== undefined && nowMs >= plan.exitMs) || stopped) return { plan, kind: 'terminated', ready: false };
  return { plan, kind: 'running', ready: nowMs >= plan.readyMs };
}

/** When the container's run ended: its own exit, or the stop after a deletion, whichever came first. */
const finishedMs = (plan: ContainerPlan, pod: PodPlan): number => Math.min(plan.exitMs ?? Infinity, pod.stopMs ?? Infinity);

function containerState(at: ContainerAt, pod: PodPlan, waitingReason: string): ContainerState {
  // Only a started container has a start instant (one whose image never arrives has Infinity).
  const startedAt = () => rfc3339(new Date(at.plan.startMs));
  switch (at.kind) {
    case 'waiting':
      return { waiting: at.pullWaiting ? { ...at.pullWaiting } : { reason: waitingReason } };
    case 'running':
      return { running: { startedAt: startedAt() } };
    case 'terminated':
      return {
        terminated: {
          exitCode: 0,
          reason: 'Completed',
          startedAt: startedAt(),
          finishedAt: rfc3339(new Date(finishedMs(at.plan, pod))),
          containerID: `containerd://${at.plan.containerID}`,
        },
      };
  }
}

function containerStatus(at: ContainerAt, container: Container, pod: PodPlan, waitingReason: string): ContainerStatus {
  const created = at.kind !== 'waiting';
  const status: ContainerStatus = {
    name: at.plan.name,
    state: containerState(at, pod, waitingReason),
    lastState: {},
    ready: at.ready,
    restartCount: 0,
    image: normalizeImage(at.plan.image),
    imageID: created ? imageID(at.plan.image) : '',
    started: at.kind === 'running',
  };
  if (created) status.containerID = `containerd://${at.plan.containerID}`;
  if (container.volumeMounts?.length) {
    status.volumeMounts = container.volumeMounts.map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
    }));
  }
  return status;
}

const listNames = (names: string[]): string => `[${names.join(' ')}]`;

/** Keeps an unchanged condition's transition time; a changed one transitions now. */
function condition(previous: PodCondition[] | undefined, next: PodCondition, nowMs: number): PodCondition {
  const old = previous?.find((c) => c.type === next.type);
  const lastTransitionTime =
    old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(new Date(nowMs));
  return {
    type: next.type,
    status: next.status,
    lastTransitionTime,
    ...(next.reason ? { reason: next.reason } : {}),
    ...(next.message ? { message: next.message } : {}),
  };
}

export interface NodeFacts {
  hostIP: string;
}

/** The status the kubelet reports for the pod at `nowMs`. */
export function podStatusAt(pod: Pod, plan: PodPlan, node: NodeFacts, nowMs: number): PodStatus {
  const specs = new Map<string, Container>();
  for (const c of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) specs.set(c.name, c);
  const states = plan.containers.map((c) => containerAt(c, plan, nowMs));
  const inits = states.filter((s) => s.plan.init);
  const mains = states.filter((s) => !s.plan.init);

  const pendingInits = inits.filter((s) => (s.plan.sidecar ? s.kind === 'waiting' : s.kind !== 'terminated'));
  const initialized = pendingInits.length === 0;
  const allMainsEnded = mains.length > 0 && mains.every((s) => s.kind === 'terminated');
  // kubelet getPhase: one container not yet started (say, its image cannot be pulled) keeps the pod Pending.
  const phase: PodStatus['phase'] = allMainsEnded ? 'Succeeded' : mains.some((s) => s.kind === 'waiting') ? 'Pending' : 'Running';
  const terminal = phase === 'Succeeded';
  const sandboxReady = nowMs >= plan.sandboxReadyMs;

  const unready = [...inits.filter((s) => s.plan.sidecar), ...mains].filter((s) => !s.ready).map((s) => s.plan.name);
  const readyCondition = (type: string): PodCondition =>
    terminal
      ? { type, status: 'False', reason: 'PodCompleted' }
      : unready.length === 0
        ? { type, status: 'True' }
        : { type, status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: ${listNames(unready)}` };
  const previous = pod.status?.conditions;
  const containersReady = readyCondition('ContainersReady');
  const kubeletConditions = (<PodCondition[]>[
    { type: 'PodReadyToStartContainers', status: sandboxReady && !terminal ? 'True' : 'False' },
    terminal
      ? { type: 'Initialized', status: 'True', reason: 'PodCompleted' }
      : initialized
        ? { type: 'Initialized', status: 'True' }
        : {
            type: 'Initialized',
            status: 'False',
            reason: 'ContainersNotInitialized',
            message: `containers with incomplete status: ${listNames(pendingInits.map((s) => s.plan.name))}`,
          },
    containersReady.status === 'True' ? readinessGatesCondition(pod.spec.readinessGates ?? [], previous ?? []) : readyCondition('Ready'),
    containersReady,
  ]).map((c) => condition(previous, c, nowMs));
  // generateAPIPodStatus: the conditions the kubelet does not own first, as they were (a readiness gate's), then its
  // own, PodScheduled last; so a gate's condition keeps its place and a write that sets it moves no other.
  const owned = new Set([...kubeletConditions.map((c) => c.type), 'PodScheduled']);
  const others = (previous ?? []).filter((c) => !owned.has(c.type));
  const scheduled =
    previous?.find((c) => c.type === 'PodScheduled') ?? condition(previous, { type: 'PodScheduled', status: 'True' }, nowMs);

  const podIP = pod.spec.hostNetwork ? node.hostIP : sandboxReady ? plan.podIP : undefined;
  const status: PodStatus = {
    ...(pod.status ?? {}),
    phase,
    conditions: [...others, ...kubeletConditions, scheduled],
    hostIP: node.hostIP,
    hostIPs: [{ ip: node.hostIP }],
  };
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  status.startTime = rfc3339(new Date(plan.admittedMs));
  const initWaiting = initialized ? 'ContainerCreating' : 'PodInitializing';
  if (inits.length) {
    status.initContainerStatuses = inits.map((s) => containerStatus(s, specs.get(s.plan.name)!, plan, 'PodInitializing'));
  }
  status.containerStatuses = mains.map((s) => containerStatus(s, specs.get(s.plan.name)!, plan, initWaiting));
  status.qosClass = pod.status?.qosClass ?? podQosClass(pod);
  return status;
}

/**
 * Ready once the containers are: the kubelet then also requires every
 * readiness gate's condition (set by some controller, e.g. KubeVirt's
 * `kubevirt.io/virtual-machine-unpaused`) to be True, with its messages.
 */
function readinessGatesCondition(gates: Array<{ conditionType: string }>, conditions: PodCondition[]): PodCondition {
  const unready: string[] = [];
  for (const { conditionType } of gates) {
    const gate = conditions.find((c) => c.type === conditionType);
    if (!gate) unready.push(`corresponding condition of pod readiness gate "${conditionType}" does not exist.`);
    else if (gate.status !== 'True') unready.push(`the status of pod readiness gate "${conditionType}" is not "True", but ${gate.status}`);
  }
  return unready.length === 0
    ? { type: 'Ready', status: 'True' }
    : { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: unready.join(', ') };
}

export interface PlannedEvent extends ContainerEvent {
  /** The container the Event is about (kubecontainer.GenerateContainerRef): its involvedObject's fieldPath. */
  fieldPath: string;
}

/**
 * How the kubelet's Events refer to a container of the pod (kubecontainer's fieldPath): client-go counts an Event
 * again only with the same fieldPath, so two containers' "already present on machine" are two Events, as on a cluster.
 */
export const containerFieldPath = (name: string, init: boolean): string =>
  init ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;

/** The kubelet's Events along the plan up to `nowMs`: image pull (or failed pulls), container created and started. */
export function plannedEvents(plan: PodPlan, nowMs: number): PlannedEvent[] {
  return plan.containers.flatMap((c) => {
    const fieldPath = containerFieldPath(c.name, c.init);
    return containerEvents(c, nowMs).map((event): PlannedEvent => ({ ...event, fieldPath }));
  });
}

/** One container's Events up to `nowMs`. */
function containerEvents(c: ContainerPlan, nowMs: number): ContainerEvent[] {
  if (c.pullError !== undefined) return failedPullEvents(c.image, c.pullError, c.pulledMs, nowMs);
  const pulled: ContainerEvent = c.imagePresent
    ? {
        atMs: c.pulledMs,
        type: 'Normal',
        reason: 'Pulled',
        message: `Container image "${c.image}" already present on machine`,
      }
    : {
        atMs: c.pulledMs,
        type: 'Normal',
        reason: 'Pulled',
        message: `Successfully pulled image "${c.image}" in ${formatGoDuration(c.pulledMs - c.pullStartMs)} (${formatGoDuration(c.pulledMs - c.pullStartMs)} including waiting). Image size: ${imageSizeBytes(c.image)} bytes.`,
      };
  const events: ContainerEvent[] = [
    ...(c.imagePresent ? [] : [{ atMs: c.pullStartMs, type: 'Normal' as const, reason: 'Pulling', message: `Pulling image "${c.image}"` }]),
    pulled,
    { atMs: c.startMs, type: 'Normal', reason: 'Created', message: `Created container: ${c.name}` },
    { atMs: c.startMs, type: 'Normal', reason: 'Started', message: `Started container ${c.name}` },
  ];
  return events.filter((event) => event.atMs <= nowMs);
}

/** The next instant after `nowMs` at which the plan changes something. */
export function nextChangeMs(plan: PodPlan, nowMs: number): number | undefined {
  const instants = [
    plan.sandboxReadyMs,
    plan.stopMs,
    ...plan.containers.flatMap((c) =>
      c.pullError !== undefined ? [nextPullChangeMs(c.pulledMs, nowMs)] : [c.pulledMs, c.startMs, c.readyMs, c.exitMs],
    ),
  ];
  // A container behind one whose image never arrives never starts (Infinity).
  const future = instants.filter((t): t is number => t !== undefined && t > nowMs && Number.isFinite(t));
  return future.length ? Math.min(...future) : undefined;
}
