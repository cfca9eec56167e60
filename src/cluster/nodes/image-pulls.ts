/**
 * Image pulls that fail, as the kubelet reports them (pkg/kubelet/images/image_manager.go, v1.32): a reference whose
 * registry host is under `.invalid` (RFC 6761: never resolves) fails every pull with containerd's resolve error, and
 * an image an image-pull-failure Fault names fails with the registry's "not found". The
 * first failure leaves the container waiting with reason ErrImagePull and the runtime's message; the kubelet's own
 * status write brings the pod back to its worker at once, which finds the image in back-off and reports
 * ImagePullBackOff ("Back-off pulling image ..."). The back-off starts at 10 s and doubles up to 300 s
 * (flowcontrol.NewBackOff(backOffPeriod, MaxContainerBackOff)); each expiry is a new pull that fails again.
 */
import { normalizeImage } from './images.js';

const INITIAL_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 300_000;
/** From a failed pull's status write until the pod worker syncs the pod again and finds the image in back-off. */
export const BACKOFF_REPORT_DELAY_MS = 1_000;

/** The registry host of a reference ("registry.invalid/x/y:1" -> "registry.invalid"), as containerd resolves it. */
const registryHost = (image: string): string => normalizeImage(image).split('/')[0];

/** containerd's error for a pull of `image` (`missing`: its registry lacks it), or undefined when the pull succeeds. */
export function pullError(image: string, missing: boolean): string | undefined {
  const host = registryHost(image);
  const reference = normalizeImage(image);
  if (!host.split(':')[0].endsWith('.invalid')) {
    if (!missing) return undefined;
    const resolve = `failed to resolve reference "${reference}": ${reference}: not found`;
    return `rpc error: code = NotFound desc = failed to pull and unpack image "${reference}": ${resolve}`;
  }
  const path = reference.slice(host.length + 1);
  const at = path.indexOf('@');
  const colon = path.lastIndexOf(':');
  const [repository, object] = at >= 0 ? [path.slice(0, at), path.slice(at + 1)] : [path.slice(0, colon), path.slice(colon + 1)];
  const request = `Head "https://${host}/v2/${repository}/manifests/${object}": dial tcp: lookup ${host.split(':')[0]}: no such host`;
  return (
    `rpc error: code = Unknown desc = failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": ` +
    `failed to do request: ${request}`
  );
}

/** The instants of the failed pulls from the first one on, up to and including the first after `untilMs`. */
export function failedPullsMs(firstMs: number, untilMs: number): number[] {
  const instants = [firstMs];
  for (let backoff = INITIAL_BACKOFF_MS; instants[instants.length - 1] <= untilMs; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS))
    instants.push(instants[instants.length - 1] + backoff);
  return instants;
}

export interface PullWaiting {
  reason: 'ErrImagePull' | 'ImagePullBackOff';
  message: string;
}

/** The waiting state of a container whose pulls keep failing, at `nowMs` (undefined before the first failure). */
export function pullWaitingAt(image: string, error: string, firstMs: number, nowMs: number): PullWaiting | undefined {
  if (nowMs < firstMs) return undefined;
  const last =
    failedPullsMs(firstMs, nowMs)
      .filter((ms) => ms <= nowMs)
      .pop() ?? firstMs;
  return nowMs < last + BACKOFF_REPORT_DELAY_MS
    ? { reason: 'ErrImagePull', message: error }
    : { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` };
}

/** An Event the kubelet records about one container of a pod, at an instant of its plan. */
export interface ContainerEvent {
  atMs: number;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The kubelet's Events of each failed pull up to `nowMs`: Pulling, Failed (twice), then BackOff and Failed. */
export function failedPullEvents(image: string, error: string, firstMs: number, nowMs: number): ContainerEvent[] {
  return failedPullsMs(firstMs, nowMs).flatMap((atMs) => {
    const backOffMs = atMs + BACKOFF_REPORT_DELAY_MS;
    const events: ContainerEvent[] = [
      { atMs, type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"` },
      { atMs, type: 'Warning', reason: 'Failed', message: `Failed to pull image "${image}": ${error}` },
      { atMs, type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' },
      { atMs: backOffMs, type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${image}"` },
      { atMs: backOffMs, type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' },
    ];
    return events.filter((event) => event.atMs <= nowMs);
  });
}

/** The next instant after `nowMs` at which a failing pull changes the container's state. */
export function nextPullChangeMs(firstMs: number, nowMs: number): number {
  return Math.min(
    ...failedPullsMs(firstMs, nowMs)
      .flatMap((ms) => [ms, ms + BACKOFF_REPORT_DELAY_MS])
      .filter((ms) => ms > nowMs),
  );
}
