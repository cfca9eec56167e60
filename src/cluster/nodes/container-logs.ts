/**
 * What a simulated container writes to stdout: nginx's entrypoint and
 * startup notices for nginx images, the text of `echo` commands in a shell
 * script, else a couple of generic start lines. Lines carry the instant they
 * were written, derived from the container's start (and end), so repeated
 * reads and a follow agree line for line.
 */
import type { Container, ContainerState, Pod } from '../../kube/pods.js';
import { isNginx } from './images.js';

import { containerLogFromSources, type LogLine } from '../../simulation/container-log-sources.js';

export type { LogLine } from '../../simulation/container-log-sources.js';

/** Spacing of consecutive lines: a little over a millisecond, so timestamps look like a real log's. */
const LINE_SPACING_MS = 1.234567;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** nginx's own log time format: 2026/01/01 12:00:00 (UTC in a container). */
function nginxTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function nginxVersion(image: string): string {
  const tag = /:(\d+\.\d+(?:\.\d+)?)/.exec(image)?.[1];
  if (!tag) return '1.27.3';
  return tag.split('.').length === 2 ? `${tag}.0` : tag;
}

function nginxStart(image: string, startMs: number): string[] {
  const t = nginxTime(startMs);
  return [
    '/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
    '/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/',
    '/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh',
    '10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf',
    '10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf',
    '/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh',
    '/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh',
    '/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh',
    '/docker-entrypoint.sh: Configuration complete; ready for start up',
    `${t} [notice] 1#1: using the "epoll" event method`,
    `${t} [notice] 1#1: nginx/${nginxVersion(image)}`,
    `${t} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14)`,
    `${t} [notice] 1#1: OS: Linux 6.8.0-51-generic`,
    `${t} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576`,
    `${t} [notice] 1#1: start worker processes`,
    `${t} [notice] 1#1: start worker process 29`,
  ];
}

/** nginx's image stops with SIGQUIT: a graceful shutdown. */
function nginxStop(endMs: number): string[] {
  const t = nginxTime(endMs);
  return [
    `${t} [notice] 1#1: signal 3 (SIGQUIT) received, shutting down`,
    `${t} [notice] 29#29: gracefully shutting down`,
    `${t} [notice] 29#29: exiting`,
    `${t} [notice] 29#29: exit`,
    `${t} [notice] 1#1: signal 17 (SIGCHLD) received from 29`,
    `${t} [notice] 1#1: worker process 29 exited with code 0`,
    `${t} [notice] 1#1: exit`,
  ];
}

/** The words `echo` prints in a `sh -c` script: "echo hello; sleep 10" prints "hello". */
function echoedLines(container: Container): string[] | undefined {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  const script = argv.length >= 3 && /(^|\/)(ba)?sh$/.test(argv[0]) && argv[1] === '-c' ? argv.slice(2).join(' ') : undefined;
  if (!script) return undefined;
  const echoes = script
    .split(/;|&&|\n/)
    .map((statement) => /^\s*echo\s+(?:-n\s+)?(.*?)\s*$/.exec(statement)?.[1])
    .filter((text): text is string => text !== undefined)
    .map((text) => text.replace(/^(['"])(.*)\1$/, '$2'));
  return echoes.length ? echoes : undefined;
}

/** The log of one run of a container, given its state in that run (running, or terminated). */
export function containerLog(container: Container, state: ContainerState, pod?: Pod): LogLine[] {
  const started = state.running?.startedAt ?? state.terminated?.startedAt;
  if (!started) return [];
  const fromSource = pod && containerLogFromSources(pod, container, state);
  if (fromSource) return fromSource;
  const startMs = Date.parse(started);
  const endMs = state.terminated?.finishedAt ? Date.parse(state.terminated.finishedAt) : undefined;
  const image = container.image ?? '';
  const atStart = (texts: string[]): LogLine[] => texts.map((text, i) => ({ timeMs: startMs + (i + 1) * LINE_SPACING_MS, text }));
  const atEnd = (texts: string[]): LogLine[] =>
    endMs === undefined ? [] : texts.map((text, i) => ({ timeMs: endMs - (texts.length - i) * LINE_SPACING_MS, text }));
  if (isNginx(image)) return [...atStart(nginxStart(image, startMs)), ...atEnd(nginxStop(endMs ?? startMs))];
  const echoed = echoedLines(container);
  if (echoed) return atStart(echoed);
  const exitCode = state.terminated?.exitCode;
  return [
    ...atStart([`Starting ${container.name} (image ${image})`, `${container.name} is running`]),
    ...atEnd([exitCode === 0 ? `${container.name} completed successfully` : `${container.name} exited with code ${exitCode}`]),
  ];
}

/** Go's RFC3339Nano as the kubelet prints `--timestamps`: nanoseconds with trailing zeros trimmed. */
export function rfc3339Nano(timeMs: number): string {
  const wholeMs = Math.floor(timeMs);
  const nanos = Math.round((timeMs - wholeMs) * 1e6);
  const iso = new Date(wholeMs).toISOString();
  const fraction = `${iso.slice(20, 23)}${String(nanos).padStart(6, '0')}`.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}
