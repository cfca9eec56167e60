/**
 * What `kubectl logs` shows for a virt-launcher pod: the `compute`
 * container prints virt-launcher's JSON log (libvirt connection, domain
 * defined and started, and on exit the shutdown), and the
 * `guest-console-log` sidecar (virt-tail) prints the guest's serial console,
 * from firmware to the login prompt of the OS its disk image holds.
 * Registered with the kubelet's pod log server as a log source keyed on the
 * `kubevirt.io=virt-launcher` label.
 */
import type { ContainerLogSource, LogLine } from '../../simulation/container-log-sources.js';
import type { Container, Pod } from '../../kube/pods.js';
import { guestOfImage } from './guest-os.js';
import { CREATED_BY_LABEL } from './vmi-types.js';

/** Spacing of consecutive lines, as the kubelet's own simulated logs space them. */
const LINE_SPACING_MS = 1.234567;

/** The containerDisk image the launcher serves: an image volume (ImageVolume gate) or a `volume<name>` container. */
function diskImageOf(pod: Pod): string {
  const volumes = (pod.spec.volumes ?? []) as Array<{ image?: { reference?: string } }>;
  const fromVolume = volumes.find((v) => v.image?.reference)?.image?.reference;
  if (fromVolume) return fromVolume;
  const containers: Container[] = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  return containers.find((c) => c.name.startsWith('volume') && !c.name.endsWith('-init') && c.image)?.image ?? '';
}

const vmiNameOf = (pod: Pod): string =>
  pod.metadata.annotations?.['kubevirt.io/domain'] ?? pod.metadata.labels?.['vm.kubevirt.io/name'] ?? '';

/** One line of virt-launcher's JSON log (its logger's field order). */
function launcherLine(pod: Pod, timeMs: number, msg: string, pos: string, aboutVmi: boolean): string {
  const timestamp = `${new Date(Math.floor(timeMs)).toISOString().slice(0, 23)}${String(Math.round((timeMs % 1) * 1000)).padStart(3, '0')}Z`;
  const vmi = aboutVmi
    ? { kind: '', name: vmiNameOf(pod), namespace: pod.metadata.namespace ?? '', uid: pod.metadata.labels?.[CREATED_BY_LABEL] ?? '' }
    : {};
  const fields = {
    component: 'virt-launcher',
    ...(aboutVmi ? { kind: vmi.kind } : {}),
    level: 'info',
    msg,
    ...(aboutVmi ? { name: vmi.name, namespace: vmi.namespace } : {}),
    pos,
    timestamp,
    ...(aboutVmi ? { uid: vmi.uid } : {}),
  };
  return JSON.stringify(fields);
}

function computeLog(pod: Pod, startMs: number, endMs: number | undefined): LogLine[] {
  const name = vmiNameOf(pod);
  const start: Array<[string, string, boolean]> = [
    ['Collected all requested hook sidecar sockets', 'manager.go:86', false],
    ['Sorted all collected sidecar sockets per hook point based on their priority and name: map[]', 'manager.go:89', false],
    ['Connecting to libvirt daemon: qemu+unix:///session?socket=/var/run/libvirt/virtqemud-sock', 'libvirt.go:661', false],
    ['Connected to libvirt daemon', 'libvirt.go:669', false],
    ['Registered libvirt event notify callback', 'client.go:596', false],
    ['Marked as ready', 'virt-launcher.go:76', false],
    ['Executing PreStartHook on VMI pod environment', 'manager.go:1147', true],
    ['Domain defined.', 'manager.go:1180', true],
    ['DomainLifecycle event Domain event="defined" detail="updated" with event id 0 reason 1 received', 'client.go:476', false],
    ['Domain started.', 'manager.go:1214', true],
    ['DomainLifecycle event Domain event="started" detail="booted" with event id 2 reason 0 received', 'client.go:476', false],
    ['Synced vmi', 'server.go:194', true],
  ];
  const stop: Array<[string, string, boolean]> = [
    [`Signaled graceful shutdown for ${name}`, 'virt-launcher.go:464', false],
    ['DomainLifecycle event Domain event="stopped" detail="shutdown" with event id 5 reason 0 received', 'client.go:476', false],
    [`Process ${name} and pid 84 is gone!`, 'monitor.go:170', false],
    ['Exiting...', 'virt-launcher.go:548', false],
  ];
  const at = (entries: Array<[string, string, boolean]>, firstMs: number): LogLine[] =>
    entries.map(([msg, pos, aboutVmi], i) => {
      const timeMs = firstMs + i * LINE_SPACING_MS;
      return { timeMs, text: launcherLine(pod, timeMs, msg, pos, aboutVmi) };
    });
  return [...at(start, startMs + LINE_SPACING_MS), ...(endMs === undefined ? [] : at(stop, endMs - stop.length * LINE_SPACING_MS))];
}

function serialLog(pod: Pod, startMs: number): LogLine[] {
  const guest = guestOfImage(diskImageOf(pod));
  const host = pod.metadata.labels?.['vm.kubevirt.io/name'] ?? vmiNameOf(pod);
  const ip = pod.status?.podIP ?? '';
  return guest.consoleLines.map((line, i) => ({
    timeMs: startMs + (i + 1) * LINE_SPACING_MS,
    text: line.replaceAll('{host}', host).replaceAll('{ip}', ip),
  }));
}

export const launcherLogSource: ContainerLogSource = (pod, container, state) => {
  if (pod.metadata.labels?.['kubevirt.io'] !== 'virt-launcher') return undefined;
  const started = state.running?.startedAt ?? state.terminated?.startedAt;
  if (!started) return undefined;
  const startMs = Date.parse(started);
  const endMs = state.terminated?.finishedAt ? Date.parse(state.terminated.finishedAt) : undefined;
  if (container.name === 'compute') return computeLog(pod, startMs, endMs);
  if (container.name === 'guest-console-log') return serialLog(pod, startMs);
  return undefined;
};
