/**
 * pods/log: the API server's container choice and errors, then what the
 * node's kubelet would answer: the container's simulated log as text/plain,
 * with tailLines, timestamps, sinceSeconds/sinceTime, limitBytes, previous,
 * and follow (the response stays open, adding lines as the container's state
 * changes, until it stops, the pod goes, or the client hangs up).
 */
import type { ServerResponse } from 'node:http';
import { badRequest } from '../../api/errors.js';
import type { Component } from '../../runtime/component.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import type { SubresourceCall } from '../../api/extension-points.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { POD_REF, type Container, type ContainerState, type ContainerStatus, type Pod } from '../../kube/pods.js';
import { containerLog, rfc3339Nano, type LogLine } from './container-logs.js';

interface LogOptions {
  container: string;
  previous: boolean;
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceMs?: number;
}

const allContainers = (pod: Pod): Container[] => [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];

/** The API server's validateContainer: the named container, or the only one. */
function chooseContainer(pod: Pod, requested: string | undefined): string {
  const name = pod.metadata.name ?? '';
  if (requested) {
    if (!allContainers(pod).some((c) => c.name === requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const containers = pod.spec.containers ?? [];
  if (containers.length === 1) return containers[0].name;
  if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
  throw badRequest(
    `a container name must be specified for pod ${name}, choose one of: [${allContainers(pod)
      .map((c) => c.name)
      .join(' ')}]`,
  );
}

const statusOf = (pod: Pod, container: string): ContainerStatus | undefined =>
  [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.name === container);

/** The kubelet's validateContainerLogStatus: which run of the container to read. */
function runToRead(pod: Pod, container: string, previous: boolean): ContainerState {
  const podName = pod.metadata.name ?? '';
  const status = statusOf(pod, container);
  if (!status) throw badRequest(`container "${container}" in pod "${podName}" is not available`);
  if (previous) {
    if (!status.lastState?.terminated) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    return status.lastState;
  }
  const state = status.state ?? {};
  if (state.waiting && !state.running && !state.terminated) {
    throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${state.waiting.reason ?? 'ContainerCreating'}`);
  }
  return state;
}

const optionalInt = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw badRequest(`${name}: invalid value "${value}"`);
  return parsed;
};

function parseOptions(query: Record<string, string | undefined>, pod: Pod, nowMs: number): LogOptions {
  const sinceSeconds = optionalInt(query.sinceSeconds, 'sinceSeconds');
  const sinceMs = sinceSeconds !== undefined ? nowMs - sinceSeconds * 1000 : query.sinceTime ? Date.parse(query.sinceTime) : undefined;
  return {
    container: chooseContainer(pod, query.container),
    previous: query.previous === 'true',
    follow: query.follow === 'true',
    timestamps: query.timestamps === 'true',
    tailLines: optionalInt(query.tailLines, 'tailLines'),
    limitBytes: optionalInt(query.limitBytes, 'limitBytes'),
    sinceMs,
  };
}

const render = (lines: LogLine[], timestamps: boolean): string =>
  lines.map((l) => `${timestamps ? `${rfc3339Nano(l.timeMs)} ` : ''}${l.text}\n`).join('');

function selectLines(lines: LogLine[], options: LogOptions): LogLine[] {
  let selected = options.sinceMs === undefined ? lines : lines.filter((l) => l.timeMs >= options.sinceMs!);
  if (options.tailLines !== undefined) selected = options.tailLines <= 0 ? [] : selected.slice(-options.tailLines);
  return selected;
}

const truncate = (text: string, limitBytes: number | undefined): string =>
  limitBytes === undefined ? text : Buffer.from(text).subarray(0, Math.max(0, limitBytes)).toString();

export class PodLogServer implements Component {
  readonly name = 'pod-logs';
  /** Ends each open follow stream; stopping the server ends them all. */
  private readonly follows = new Set<() => void>();

  constructor(
    private readonly ctx: ComponentContext,
    private readonly pods: Informer<Pod>,
  ) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    for (const end of [...this.follows]) end();
  }

  readonly serve = async (call: SubresourceCall): Promise<unknown> => {
    if (call.method !== 'GET') throw badRequest(`the server does not allow this method on the requested resource`);
    const pod = await this.ctx.client.get<Pod>(POD_REF, call.namespace, call.name);
    const options = parseOptions(call.query, pod, this.ctx.clock.nowMs());
    // A pod not yet bound to a node has no kubelet to ask: the answer is empty.
    if (!pod.spec.nodeName) return call.reply.type('text/plain').send('');
    const state = runToRead(pod, options.container, options.previous);
    const spec = allContainers(pod).find((c) => c.name === options.container)!;
    const lines = selectLines(containerLog(spec, state, pod), options);
    if (!options.follow || options.previous || state.terminated) {
      return call.reply.type('text/plain').send(truncate(render(lines, options.timestamps), options.limitBytes));
    }
    return this.follow(call, pod, spec, options, lines);
  };

  /** Streams the lines so far, then each line the container writes later, until it ends. */
  private follow(call: SubresourceCall, pod: Pod, spec: Container, options: LogOptions, initial: LogLine[]): unknown {
    const { reply } = call;
    reply.hijack();
    const response: ServerResponse = reply.raw;
    response.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    let budget = options.limitBytes ?? Infinity;
    const write = (lines: LogLine[]): void => {
      const text = truncate(render(lines, options.timestamps), budget === Infinity ? undefined : budget);
      budget -= Buffer.byteLength(text);
      if (text) response.write(text);
      if (budget <= 0) end();
    };
    let written = containerLog(spec, runToRead(pod, options.container, false), pod).length;
    const key = objectKey(pod);
    const registration = this.pods.addEventHandler({
      onUpdate: (_old, current) => {
        if (objectKey(current) !== key || current.metadata.uid !== pod.metadata.uid) return;
        const state = statusOf(current, options.container)?.state ?? {};
        const lines = containerLog(spec, state, current);
        write(lines.slice(written));
        written = lines.length;
        if (state.terminated) end();
      },
      onDelete: (gone) => {
        if (gone.metadata.uid === pod.metadata.uid) end();
      },
    });
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      registration.remove();
      this.follows.delete(end);
      response.end();
    };
    this.follows.add(end);
    response.on('close', end);
    write(initial);
    return reply;
  }
}
