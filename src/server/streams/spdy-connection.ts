/**
 * The server side of a SPDY/3 connection as Go's spdystream frames it (what
 * kubectl speaks for exec, attach and port-forward): the client opens streams
 * (SYN_STREAM with a header block), each answered with a SYN_REPLY; DATA
 * frames carry the bytes, FIN ends a stream's direction, RST_STREAM resets
 * one, PINGs are echoed, GOAWAY ends the connection. Header blocks use one
 * zlib context per direction with SPDY/3's dictionary (schemas/spdy/). No
 * flow control is applied: WINDOW_UPDATE and SETTINGS are read and ignored.
 * The byte stream underneath is a raw upgraded socket or a WebSocket tunnel.
 */
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

const dictionary = readFileSync(new URL('../../../schemas/spdy/spdy3-header-dictionary.bin', import.meta.url));

const FrameType = { SynStream: 1, SynReply: 2, RstStream: 3, Ping: 6, GoAway: 7 } as const;
const FLAG_FIN = 0x01;
const SPDY_VERSION = 3;
/** Frames larger than this end the connection instead of being buffered. */
const MAX_FRAME = 1 << 20;

/** What a SPDY session does with the client's streams. */
export interface SpdyHandler {
  /** The client opened a stream (already answered with a SYN_REPLY); header names are lower-case. */
  opened(id: number, headers: Map<string, string>): void;
  /** Data on a stream; `fin` ends the client's side of it. */
  data(id: number, data: Buffer, fin: boolean): void;
  /** The client reset one stream. */
  reset(id: number): void;
  /** The connection ended (GOAWAY, or the socket closed). */
  closed(): void;
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

export class SpdyConnection {
  private buffered = Buffer.alloc(0);
  private readonly inflate = zlibContext(createInflate({ dictionary }));
  private readonly deflate = zlibContext(createDeflate({ dictionary }));
  private readonly queue = new SerialQueue();
  private ended = false;

  constructor(
    private readonly socket: Duplex,
    private readonly handler: SpdyHandler,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.close());
    socket.on('error', () => socket.destroy());
  }

  /** Bytes of frames from the client (those that came with the upgrade request, then the socket's). */
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

  /** Sends data on a stream; `fin` ends the server's side of it. */
  write(id: number, data: Buffer, fin = false): void {
    if (this.ended || !this.socket.writable) return;
    const header = Buffer.alloc(8);
    header.writeUInt32BE(id, 0);
    header.writeUInt32BE(data.length, 4);
    header[4] = fin ? FLAG_FIN : 0;
    this.socket.write(Buffer.concat([header, data]));
  }

  /** Ends the connection once what was written is sent. */
  end(): void {
    this.ended = true;
    this.socket.end();
  }

  /** Ends the connection at once. */
  close(): void {
    if (this.ended) return void this.socket.destroy();
    this.ended = true;
    this.socket.destroy();
    this.handler.closed();
  }

  private async frame(frame: Buffer): Promise<void> {
    const flags = frame[4];
    const body = frame.subarray(8);
    if ((frame[0] & 0x80) === 0) return this.handler.data(frame.readUInt32BE(0) & 0x7fffffff, body, (flags & FLAG_FIN) !== 0);
    switch (frame.readUInt16BE(2)) {
      case FrameType.SynStream: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaders(await this.inflate(body.subarray(10)));
        const reply = Buffer.alloc(4);
        reply.writeUInt32BE(id, 0);
        this.writeControl(FrameType.SynReply, 0, Buffer.concat([reply, await this.deflate(encodeHeaders([]))]));
        return this.handler.opened(id, headers);
      }
      case FrameType.Ping:
        if (!this.ended && this.socket.writable) this.socket.write(frame);
        return;
      case FrameType.RstStream:
        return this.handler.reset(body.readUInt32BE(0) & 0x7fffffff);
      case FrameType.GoAway:
        return this.close();
      default:
    }
  }

  private writeControl(type: number, flags: number, body: Buffer): void {
    if (this.ended || !this.socket.writable) return;
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
    header.writeUInt16BE(type, 2);
    header.writeUInt32BE(body.length, 4);
    header[4] = flags;
    this.socket.write(Buffer.concat([header, body]));
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
