/**
 * The SPDY/3.1 side of pods/exec and pods/attach, as kubectl speaks it when
 * WebSockets are off (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false) or refused:
 * the 101 with the negotiated X-Stream-Protocol-Version (v4.channel.k8s.io),
 * then SPDY streams (spdy-connection.ts): the client opens one per channel,
 * named by its `streamType` header (error, stdin, stdout, stderr, resize);
 * the session starts once all the request's streams are open.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContainerStream, ContainerStreamRequest } from '../../api/extension-points.js';
import { SpdyConnection } from './spdy-connection.js';
import { runContainerStream, type StreamInput } from './stream-session.js';

export const SPDY_PROTOCOL = 'v4.channel.k8s.io';

/** The client's protocols in the X-Stream-Protocol-Version headers. */
export const offeredStreamProtocols = (req: IncomingMessage): string[] =>
  req.headersDistinct['x-stream-protocol-version']?.flatMap((v) => v.split(',').map((p) => p.trim())) ?? [];

/** The 101 that switches a raw socket to SPDY/3.1 with the negotiated stream protocol. */
export function switchToSpdy(socket: Duplex, protocol: string): void {
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
}

export function serveSpdy(socket: Duplex, head: Buffer, request: ContainerStreamRequest, stream: ContainerStream): void {
  switchToSpdy(socket, SPDY_PROTOCOL);
  new SpdyExecSession(socket, request, stream).connection.receive(head);
}

class SpdyExecSession {
  readonly connection: SpdyConnection;
  /** Stream ids by stream type, as the client opened them. */
  private readonly streams = new Map<string, number>();
  private input: StreamInput | undefined;
  private ended = false;

  constructor(
    socket: Duplex,
    private readonly request: ContainerStreamRequest,
    private readonly stream: ContainerStream,
  ) {
    this.connection = new SpdyConnection(socket, {
      opened: (id, headers) => this.opened(id, headers.get('streamtype') ?? ''),
      data: (id, data, fin) => this.data(id, data, fin),
      reset: () => this.hangUp(),
      closed: () => this.hangUp(),
    });
  }

  private opened(id: number, streamType: string): void {
    this.streams.set(streamType, id);
    if (!this.input && this.expectedStreams().every((type) => this.streams.has(type))) {
      this.input = runContainerStream(this.request, this.stream, {
        write: (name, data) => this.write(name, data, false),
        finish: (status) => this.finish(Buffer.from(JSON.stringify(status))),
      });
    }
  }

  /** The streams the client opens for these options (remotecommand v4's streamCreator). */
  private expectedStreams(): string[] {
    const { stdin, stdout, stderr, tty } = this.request;
    return [
      'error',
      ...(stdin ? ['stdin'] : []),
      ...(stdout ? ['stdout'] : []),
      ...(stderr && !tty ? ['stderr'] : []),
      ...(tty ? ['resize'] : []),
    ];
  }

  private data(id: number, data: Buffer, fin: boolean): void {
    if (id === this.streams.get('stdin')) {
      if (data.length) this.input?.stdin(data);
      if (fin) this.input?.stdin(undefined);
    } else if (id === this.streams.get('resize') && data.length) {
      this.input?.resize(data);
    }
  }

  private write(streamType: string, data: Buffer, fin: boolean): void {
    const id = this.streams.get(streamType);
    if (id !== undefined && !this.ended) this.connection.write(id, data, fin);
  }

  private finish(status: Buffer): void {
    this.write('error', status, false);
    for (const type of ['error', 'stdout', 'stderr']) this.write(type, Buffer.alloc(0), true);
    this.ended = true;
    this.connection.end();
  }

  private hangUp(): void {
    if (this.ended) return;
    this.ended = true;
    this.input?.hangUp();
    this.connection.close();
  }
}
