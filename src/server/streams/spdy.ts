/**
 * The SPDY/3.1 side of pods/exec and pods/attach, as kubectl speaks it when
 * WebSockets are off (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false) or refused:
 * the 101 with the negotiated X-Stream-Protocol-Version (v4.channel.k8s.io),
 * then SPDY/3 frames (draft 3, as Go's spdystream frames them): the client
 * opens one stream per channel (SYN_STREAM with a `streamType` header: error,
 * stdin, stdout, stderr, resize), each answered with a SYN_REPLY; DATA frames
 * carry the bytes, FIN ends a stream, PINGs are echoed. Header blocks use
 * one zlib context per direction with SPDY/3's dictionary (schemas/spdy/).
 * No flow control is applied: WINDOW_UPDATE and SETTINGS are read and ignored.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import type { ContainerStream, ContainerStreamRequest } from '../../api/extension-points.js';
import { runContainerStream, type StreamInput } from './stream-session.js';

export const SPDY_PROTOCOL = 'v4.channel.k8s.io';
const dictionary = readFileSync(new URL('../../../schemas/spdy/spdy3-header-dictionary.bin', import.meta.url));

const FrameType = { SynStream: 1, SynReply: 2, RstStream: 3, Ping: 6, GoAway: 7 } as const;
const FLAG_FIN = 0x01;
const SPDY_VERSION = 3;
/** Frames larger than this end the connection instead of being buffered. */
const MAX_FRAME = 1 << 20;

/** The client's protocols in the X-Stream-Protocol-Version headers. */
export const offeredStreamProtocols = (req: IncomingMessage): string[] =>
  req.headersDistinct['x-stream-protocol-version']?.flatMap((v) => v.split(',').map((p) => p.trim())) ?? [];

export function serveSpdy(socket: Duplex, head: Buffer, request: ContainerStreamRequest, stream: ContainerStream): void {
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${SPDY_PROTOCOL}\r\n\r\n`,
  );
  new SpdySession(socket, request, stream).receive(head);
}

/** Runs `step`s one after another (header blocks share one zlib context per direction, so order matters). */
class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  run(step: () => Promise<void> | void): void {
    this.tail = this.tail.then(step).catch(() => undefined);
  }
}

/** Compresses or decompresses header blocks through one persistent zlib stream. */
function zlibContext(stream: Deflate | Inflate): (data: Buffer) => Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('error', () => undefined);
  return (data) =>
    new Promise((resolve) => {
      stream.write(data);
      stream.flush(constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(chunks.splice(0))));
    });
}

class SpdySession {
  private buffered = Buffer.alloc(0);
  private readonly inflate = zlibContext(createInflate({ dictionary }));
  private readonly deflate = zlibContext(createDeflate({ dictionary }));
  private readonly queue = new SerialQueue();
  /** Stream ids by stream type, as the client opened them. */
  private readonly streams = new Map<string, number>();
  private input: StreamInput | undefined;
  private ended = false;

  constructor(
    private readonly socket: Duplex,
    private readonly request: ContainerStreamRequest,
    private readonly stream: ContainerStream,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.hangUp());
    socket.on('error', () => socket.destroy());
  }

  receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 8) {
      const length = this.buffered.readUIntBE(5, 3);
      if (length > MAX_FRAME) return void this.socket.destroy();
      if (this.buffered.length < 8 + length) return;
      const frame = this.buffered.subarray(0, 8 + length);
      this.buffered = this.buffered.subarray(8 + length);
      this.queue.run(() => this.frame(frame));
    }
  }

  private async frame(frame: Buffer): Promise<void> {
    const flags = frame[4];
    const body = frame.subarray(8);
    if ((frame[0] & 0x80) === 0) return this.data(frame.readUInt32BE(0) & 0x7fffffff, body, (flags & FLAG_FIN) !== 0);
    switch (frame.readUInt16BE(2)) {
      case FrameType.SynStream:
        return this.synStream(body.readUInt32BE(0) & 0x7fffffff, await this.inflate(body.subarray(10)));
      case FrameType.Ping:
        this.socket.write(frame);
        return;
      case FrameType.RstStream:
      case FrameType.GoAway:
        return this.hangUp();
      default:
    }
  }

  private async synStream(id: number, headerBlock: Buffer): Promise<void> {
    const streamType = decodeHeaders(headerBlock).get('streamtype') ?? '';
    this.streams.set(streamType, id);
    const reply = Buffer.alloc(4);
    reply.writeUInt32BE(id, 0);
    this.writeControl(FrameType.SynReply, 0, Buffer.concat([reply, await this.deflate(encodeHeaders([]))]));
    if (!this.input && this.expectedStreams().every((type) => this.streams.has(type))) {
      this.input = runContainerStream(this.request, this.stream, {
        write: (name, data) => this.writeData(this.streams.get(name), data, false),
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

  private finish(status: Buffer): void {
    this.writeData(this.streams.get('error'), status, false);
    for (const type of ['error', 'stdout', 'stderr']) this.writeData(this.streams.get(type), Buffer.alloc(0), true);
    this.ended = true;
    this.socket.end();
  }

  private hangUp(): void {
    if (this.ended) return;
    this.ended = true;
    this.input?.hangUp();
    this.socket.destroy();
  }

  private writeControl(type: number, flags: number, body: Buffer): void {
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
    header.writeUInt16BE(type, 2);
    header.writeUInt32BE(body.length, 4);
    header[4] = flags;
    if (!this.ended && this.socket.writable) this.socket.write(Buffer.concat([header, body]));
  }

  private writeData(id: number | undefined, data: Buffer, fin: boolean): void {
    if (id === undefined || this.ended || !this.socket.writable) return;
    const header = Buffer.alloc(8);
    header.writeUInt32BE(id, 0);
    header.writeUInt32BE(data.length, 4);
    header[4] = fin ? FLAG_FIN : 0;
    this.socket.write(Buffer.concat([header, data]));
  }
}

/** A SPDY/3 name/value header block: a count, then length-prefixed names and NUL-separated values. */
function decodeHeaders(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  let at = 4;
  for (let i = block.length >= 4 ? block.readUInt32BE(0) : 0; i > 0 && at + 4 <= block.length; i--) {
    const nameLength = block.readUInt32BE(at);
    const name = block
      .subarray(at + 4, at + 4 + nameLength)
      .toString('latin1')
      .toLowerCase();
    at += 4 + nameLength;
    const valueLength = block.readUInt32BE(at);
    headers.set(name, block.subarray(at + 4, at + 4 + valueLength).toString('latin1'));
    at += 4 + valueLength;
  }
  return headers;
}

function encodeHeaders(pairs: Array<[string, string]>): Buffer {
  const parts = [Buffer.alloc(4)];
  parts[0].writeUInt32BE(pairs.length, 0);
  for (const [name, value] of pairs) {
    for (const text of [name, value]) {
      const bytes = Buffer.from(text, 'latin1');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length, 0);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}
