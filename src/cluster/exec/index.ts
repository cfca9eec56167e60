/**
 * pods/exec and pods/attach, the node's side: the API server's choice of
 * container and its errors (ExecLocation: pod not found, container not valid,
 * no node), then what the kubelet and container runtime do once the stream is
 * open: a running container's command from the image's table (exec), or the
 * container's main process (attach: an interactive shell for a container
 * with `stdin: true`, shared by everyone attached; nothing to read otherwise).
 */
import { badRequest } from '../../api/errors.js';
import type { ContainerStream, ContainerStreamHandler, ContainerStreamIO, ContainerStreamRequest } from '../../api/extension-points.js';
import type { Client } from '../../client/client.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { POD_REF, type Container, type Pod } from '../../kube/pods.js';
import { containerEnvironment } from './images.js';
import type { CommandRunner, ContainerProcess, ProcessIO } from './process.js';
import { tableRunner } from './shell.js';

export type { CommandRunner, ContainerProcess } from './process.js';

const allContainers = (pod: Pod): Container[] => [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];
const names = (containers: Container[] | undefined): string => (containers ?? []).map((c) => c.name).join(' ');

/** kube-apiserver's streamLocation: the named container, or the only one; the pod must be on a node. */
function chooseContainer(pod: Pod, requested: string): Container {
  const podName = pod.metadata.name ?? '';
  const containers = pod.spec.containers ?? [];
  let container: Container | undefined;
  if (requested) {
    container = allContainers(pod).find((c) => c.name === requested);
    if (!container) throw badRequest(`container ${requested} is not valid for pod ${podName}`);
  } else if (containers.length === 1) {
    container = containers[0];
  } else if (containers.length === 0) {
    throw badRequest(`a container name must be specified for pod ${podName}`);
  } else {
    const init = names(pod.spec.initContainers);
    const choices = `a container name must be specified for pod ${podName}, choose one of: [${names(containers)}]`;
    throw badRequest(init ? `${choices} or one of the init containers: [${init}]` : choices);
  }
  if (!pod.spec.nodeName) throw badRequest(`pod ${podName} does not have a host assigned`);
  return container;
}

const isRunning = (pod: Pod, container: string): boolean =>
  [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].some(
    (s) => s.name === container && s.state?.running,
  );

/** Relays a process's output to every attached client. */
interface MainProcess {
  process: ContainerProcess;
  clients: Set<ContainerStreamIO>;
}

/** Registers pods/exec and pods/attach: the streams, and the answer to a request that is no upgrade. */
export function serveContainerStreams(ctx: ComponentContext): void {
  ctx.serveContainerStreams?.(containerStreamHandler(ctx.client));
  for (const subresource of ['exec', 'attach']) {
    ctx.serveSubresource(`/pods/${subresource}`, async () => {
      throw badRequest('Upgrade request required');
    });
  }
}

export function containerStreamHandler(client: Client, runner: CommandRunner = tableRunner): ContainerStreamHandler {
  const mainProcesses = new Map<string, MainProcess>();

  const mainProcess = (pod: Pod, container: Container): MainProcess => {
    const key = `${pod.metadata.uid}/${container.name}`;
    let main = mainProcesses.get(key);
    if (main) return main;
    const clients = new Set<ContainerStreamIO>();
    const io: ProcessIO = {
      stdout: (text) => {
        for (const attached of clients) attached.stdout(Buffer.from(text));
      },
      stderr: (text) => {
        for (const attached of clients) attached.stderr(Buffer.from(text));
      },
    };
    const process = runner.start(['sh'], containerEnvironment(pod, container), io, { tty: container.tty === true });
    main = { process, clients };
    mainProcesses.set(key, main);
    void process.exited.then(() => mainProcesses.delete(key));
    return main;
  };

  const attach = (pod: Pod, container: Container, io: ContainerStreamIO): Promise<number> =>
    new Promise((resolve) => {
      if (container.stdin !== true) return io.onHangUp(() => resolve(0));
      const main = mainProcess(pod, container);
      main.clients.add(io);
      // The container's stdin closes with the first client's when it says stdinOnce.
      io.onStdin((data) => (data || container.stdinOnce === true) && main.process.input(data));
      io.onHangUp(() => {
        main.clients.delete(io);
        resolve(0);
      });
      void main.process.exited.then(() => resolve(0));
    });

  const exec = (pod: Pod, container: Container, request: ContainerStreamRequest, io: ContainerStreamIO): Promise<number> => {
    const output: ProcessIO = { stdout: (text) => io.stdout(Buffer.from(text)), stderr: (text) => io.stderr(Buffer.from(text)) };
    let process: ContainerProcess;
    try {
      process = runner.start(request.command, containerEnvironment(pod, container), output, { tty: request.tty });
    } catch (err) {
      return Promise.reject(new Error(`error executing command in container: ${(err as Error).message}`));
    }
    io.onStdin((data) => process.input(data));
    io.onHangUp(() => process.hangUp());
    // Without stdin the command reads an empty input.
    if (!request.stdin) process.input(undefined);
    return process.exited;
  };

  return async (request) => {
    const pod = await client.get<Pod>(POD_REF, request.namespace, request.pod);
    const container = chooseContainer(pod, request.container);
    const stream: ContainerStream = {
      async run(io) {
        // The kubelet looks the container up among the running ones once the stream is open.
        const current = await client.get<Pod>(POD_REF, request.namespace, request.pod).catch(() => undefined);
        if (!current || !isRunning(current, container.name)) {
          throw new Error(`unable to upgrade connection: container not found ("${container.name}")`);
        }
        return request.subresource === 'attach' ? attach(current, container, io) : exec(current, container, request, io);
      },
    };
    return stream;
  };
}
