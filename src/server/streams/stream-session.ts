/**
 * One exec or attach session between a transport (WebSocket channels or SPDY
 * streams) and the node's ContainerStream: the client's input in, output and
 * the final Status (Success, NonZeroExitCode with its ExitCode cause, or an
 * InternalError) out, as the kubelet's remotecommand server reports them.
 */
import { internalError, type Status } from '../../api/errors.js';
import type { ContainerStream, ContainerStreamIO, ContainerStreamRequest } from '../../api/extension-points.js';

export interface StreamOutput {
  write(stream: 'stdout' | 'stderr', data: Buffer): void;
  /** The session's Status, on the error stream; the transport closes after it. */
  finish(status: Partial<Status>): void;
}

export interface StreamInput {
  /** Stdin data; undefined is its end. */
  stdin(data: Buffer | undefined): void;
  /** A resize message: JSON {"Width": w, "Height": h}. */
  resize(message: Buffer): void;
  hangUp(): void;
}

export function runContainerStream(request: ContainerStreamRequest, stream: ContainerStream, output: StreamOutput): StreamInput {
  const stdinListeners: Array<(data: Buffer | undefined) => void> = [];
  const resizeListeners: Array<(size: { width: number; height: number }) => void> = [];
  const hangUpListeners: Array<() => void> = [];
  const io: ContainerStreamIO = {
    stdout: (data) => request.stdout && output.write('stdout', data),
    // With a TTY there is one output stream, as a terminal has.
    stderr: (data) => (request.tty ? request.stdout && output.write('stdout', data) : request.stderr && output.write('stderr', data)),
    onStdin: (listener) => stdinListeners.push(listener),
    onResize: (listener) => resizeListeners.push(listener),
    onHangUp: (listener) => hangUpListeners.push(listener),
  };
  stream.run(io).then(
    (exitCode) => output.finish(exitCode === 0 ? { metadata: {}, status: 'Success' } : exitStatus(exitCode)),
    (err: unknown) => output.finish(internalError((err as Error).message).toStatus()),
  );
  return {
    stdin(data) {
      if (request.stdin) for (const listener of stdinListeners) listener(data);
    },
    resize(message) {
      const size = parseSize(message);
      if (size) for (const listener of resizeListeners) listener(size);
    },
    hangUp() {
      for (const listener of hangUpListeners) listener();
    },
  };
}

const parseSize = (data: Buffer): { width: number; height: number } | undefined => {
  try {
    const size = JSON.parse(data.toString('utf8')) as { Width?: number; Height?: number };
    return { width: Number(size.Width ?? 0), height: Number(size.Height ?? 0) };
  } catch {
    return undefined;
  }
};

/** The Status the kubelet (and the API server's stream translator) report for a non-zero exit. */
function exitStatus(exitCode: number): Partial<Status> {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command terminated with exit code ${exitCode}`,
    reason: 'NonZeroExitCode' as Status['reason'],
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}
