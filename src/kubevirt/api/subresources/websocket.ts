/**
 * The server side of RFC 6455, as much as a serial console needs: the opening
 * handshake, unmasked binary/text frames out, masked frames in (with
 * fragmentation and ping/pong), and the closing handshake. No extensions.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const Opcode = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

export interface Frame {
  fin: boolean;
  opcode: Opcode;
  payload: Buffer;
}

/** Close codes used here (RFC 6455 section 7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_PROTOCOL_ERROR = 1002;

export const acceptKey = (clientKey: string): string =>
  createHash('sha1')
    .update(clientKey + HANDSHAKE_GUID)
    .digest('base64');

/** Encodes one frame; `mask` is for clients (servers never mask). */
export function encodeFrame(opcode: Opcode, payload: Buffer, mask?: Buffer): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = 0x80 | opcode;
  header[1] = (mask ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  if (!mask) return Buffer.concat([header, payload]);
  mask.copy(header, 2 + lengthBytes);
  return Buffer.concat([header, applyMask(payload, mask)]);
}

function applyMask(payload: Buffer, mask: Buffer): Buffer {
  const out = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i] ^ mask[i % 4];
  return out;
}

/** Splits a byte stream into frames; keeps an incomplete tail for the next chunk. */
export class FrameDecoder {
  private buffered = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    for (let frame = this.next(); frame; frame = this.next()) frames.push(frame);
    return frames;
  }

  private next(): Frame | undefined {
    const data = this.buffered;
    if (data.length < 2) return undefined;
    const masked = (data[1] & 0x80) !== 0;
    let length = data[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (data.length < 4) return undefined;
      length = data.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (data.length < 10) return undefined;
      length = Number(data.readBigUInt64BE(2));
      offset = 10;
    }
    const maskEnd = offset + (masked ? 4 : 0);
    if (data.length < maskEnd + length) return undefined;
    const raw = data.subarray(maskEnd, maskEnd + length);
    const payload = masked ? applyMask(raw, data.subarray(offset, maskEnd)) : Buffer.from(raw);
    this.buffered = data.subarray(maskEnd + length);
    return { fin: (data[0] & 0x80) !== 0, opcode: (data[0] & 0x0f) as Opcode, payload };
  }
}

export interface WebSocketHandlers {
  /** A complete data message (text or binary), reassembled from its fragments. */
  onMessage(data: Buffer): void;
  onClose?(): void;
}

/** An accepted WebSocket connection over a raw socket. */
export class WebSocketConnection {
  private readonly decoder = new FrameDecoder();
  private fragments: Buffer[] = [];
  private closing = false;

  constructor(
    private readonly socket: Duplex,
    private readonly handlers: WebSocketHandlers,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => handlers.onClose?.());
    socket.on('error', () => socket.destroy());
  }

  /** Completes the opening handshake (101) and returns the open connection. */
  static accept(
    socket: Duplex,
    headers: IncomingHttpHeaders,
    protocol: string | undefined,
    handlers: WebSocketHandlers,
  ): WebSocketConnection {
    const lines = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${acceptKey(String(headers['sec-websocket-key']))}`,
    ];
    if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    return new WebSocketConnection(socket, handlers);
  }

  send(data: Buffer, opcode: Opcode = Opcode.Binary): void {
    if (!this.closing && this.socket.writable) this.socket.write(encodeFrame(opcode, data));
  }

  close(code = CLOSE_NORMAL, reason = ''): void {
    if (this.closing) return;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    this.socket.write(encodeFrame(Opcode.Close, payload));
    this.closing = true;
    this.socket.end();
  }

  private receive(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) {
      switch (frame.opcode) {
        case Opcode.Close:
          this.close(frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : CLOSE_NORMAL);
          return;
        case Opcode.Ping:
          this.send(frame.payload, Opcode.Pong);
          break;
        case Opcode.Pong:
          break;
        default:
          this.fragments.push(frame.payload);
          if (frame.fin) {
            const message = Buffer.concat(this.fragments);
            this.fragments = [];
            this.handlers.onMessage(message);
          }
      }
    }
  }
}
