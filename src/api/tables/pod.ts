/** The Pod printer, with the STATUS and RESTARTS logic kubectl users know. */
import type { KubeObject } from '../types.js';
import { ageColumn, column, doc, list, nameColumn, nameOf, num, obj, spec, status, str, wideColumn, type Json } from './columns.js';
import { ageOf } from './duration.js';
import type { Printer } from './printer.js';

interface PodSummary {
  ready: number;
  total: number;
  reason: string;
  restarts: number;
  /** Latest lastState.terminated.finishedAt among the counted containers. */
  lastRestart?: string;
}

const terminated = (cs: Json): Json | undefined => (cs.state && obj(cs.state).terminated ? obj(obj(cs.state).terminated) : undefined);
const waiting = (cs: Json): Json | undefined => (cs.state && obj(cs.state).waiting ? obj(obj(cs.state).waiting) : undefined);
const running = (cs: Json): boolean => Boolean(cs.state && obj(cs.state).running);
const lastFinishedAt = (cs: Json): string | undefined => {
  const last = obj(obj(cs.lastState).terminated);
  return typeof last.finishedAt === 'string' ? last.finishedAt : undefined;
};
const later = (a: string | undefined, b: string | undefined): string | undefined =>
  !a ? b : !b ? a : Date.parse(b) > Date.parse(a) ? b : a;
const conditionTrue = (pod: KubeObject, type: string) => list(status(pod).conditions).some((c) => c.type === type && c.status === 'True');

/** A terminated container's reason, or Signal:N / ExitCode:N when it gave none. */
function terminationReason(t: Json, prefix: string): string {
  if (str(t.reason)) return prefix + str(t.reason);
  return num(t.signal) !== 0 ? `${prefix}Signal:${num(t.signal)}` : `${prefix}ExitCode:${num(t.exitCode)}`;
}

/** printPod's READY, STATUS and RESTARTS computation (kubernetes pkg/printers/internalversion). */
export function summarizePod(pod: KubeObject): PodSummary {
  const podSpec = spec(pod);
  const podStatus = status(pod);
  const phase = str(podStatus.phase);
  const initContainers = list(podSpec.initContainers);
  const restartable = new Set(initContainers.filter((c) => c.restartPolicy === 'Always').map((c) => str(c.name)));
  const summary: PodSummary = {
    ready: 0,
    total: list(podSpec.containers).length + restartable.size,
    reason: str(podStatus.reason) || phase,
    restarts: 0,
  };

  if (list(podStatus.conditions).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated'))
    summary.reason = 'SchedulingGated';

  let sidecarRestarts = 0;
  let sidecarLastRestart: string | undefined;
  let initializing = false;
  const initStatuses = list(podStatus.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const isSidecar = restartable.has(str(cs.name));
    summary.restarts += num(cs.restartCount);
    summary.lastRestart = later(summary.lastRestart, lastFinishedAt(cs));
    if (isSidecar) {
      sidecarRestarts += num(cs.restartCount);
      sidecarLastRestart = later(sidecarLastRestart, lastFinishedAt(cs));
    }
    const term = terminated(cs);
    const wait = waiting(cs);
    if (term && num(term.exitCode) === 0) continue;
    if (isSidecar && cs.started === true) {
      if (cs.ready === true) summary.ready++;
      continue;
    }
    if (term) summary.reason = terminationReason(term, 'Init:');
    else if (wait && str(wait.reason) && wait.reason !== 'PodInitializing') summary.reason = `Init:${str(wait.reason)}`;
    else summary.reason = `Init:${i}/${initContainers.length}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(pod, 'Initialized')) {
    summary.restarts = sidecarRestarts;
    summary.lastRestart = sidecarLastRestart;
    let hasRunning = false;
    const statuses = list(podStatus.containerStatuses);
    // Walked backwards so the first container's state is the one reported.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      summary.restarts += num(cs.restartCount);
      summary.lastRestart = later(summary.lastRestart, lastFinishedAt(cs));
      const term = terminated(cs);
      const wait = waiting(cs);
      if (wait && str(wait.reason)) summary.reason = str(wait.reason);
      else if (term) summary.reason = terminationReason(term, '');
      else if (cs.ready === true && running(cs)) {
        hasRunning = true;
        summary.ready++;
      }
    }
    if (summary.reason === 'Completed' && hasRunning) summary.reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata.deletionTimestamp && podStatus.reason === 'NodeLost') summary.reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') summary.reason = 'Terminating';
  return summary;
}

function readinessGates(pod: KubeObject): string {
  const gates = list(spec(pod).readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = list(status(pod).conditions);
  const passed = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${passed}/${gates.length}`;
}

export const podPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageColumn(),
    wideColumn('IP', doc('core.v1.PodStatus', 'podIP')),
    wideColumn('Node', doc('core.v1.PodSpec', 'nodeName')),
    wideColumn('Nominated Node', doc('core.v1.PodStatus', 'nominatedNodeName')),
    wideColumn('Readiness Gates', doc('core.v1.PodSpec', 'readinessGates')),
  ],
  renderRow: (pod, now) => {
    const s = summarizePod(pod);
    const restarts = s.restarts !== 0 && s.lastRestart ? `${s.restarts} (${ageOf(s.lastRestart, now)} ago)` : String(s.restarts);
    const podIPs = list(status(pod).podIPs);
    return [
      nameOf(pod),
      `${s.ready}/${s.total}`,
      s.reason,
      restarts,
      ageOf(pod.metadata.creationTimestamp, now),
      str(podIPs[0]?.ip) || '<none>',
      str(spec(pod).nodeName) || '<none>',
      str(status(pod).nominatedNodeName) || '<none>',
      readinessGates(pod),
    ];
  },
};
