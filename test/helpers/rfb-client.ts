/**
 * An RFB 3.8 client (RFC 6143) written from the specification, independent of
 * the emulator's server code: the handshake with security type None,
 * SetPixelFormat, SetEncodings, FramebufferUpdateRequest, KeyEvent and
 * PointerEvent out; FramebufferUpdates in Raw and ZRLE decoded into a local
 * framebuffer of 0xRRGGBB values. It runs over a WebSocket whose binary
 * messages carry the RFB byte stream.
 */
import { constants, createInflate } from 'node:zlib';
import type { WebSocketClient } from './websocket-client.js';

export interface ClientPixelFormat {
  bigEndian: boolean;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

export interface ServerInit {
  width: number;
  height: number;
  bitsPerPixel: number;
  depth: number;
  trueColour: boolean;
  name: string;
}

export const ENCODING_RAW = 0;
export const ENCODING_ZRLE = 16;

export class RfbClient {
  framebuffer = new Uint32Array(0);
  init!: ServerInit;
  /** The encodings of the rectangles of the last update. */
  lastEncodings: number[] = [];
  private bytes = Buffer.alloc(0);
  /** 32 bits per pixel, depth 24: the server's own format until setPixelFormat. */
  private format: ClientPixelFormat = { bigEndian: false, redShift: 16, greenShift: 8, blueShift: 0 };
  private readonly inflate = createInflate();

  constructor(private readonly ws: WebSocketClient) {}

  /** Resolves when the server ended the connection. */
  ended(): Promise<void> {
    return this.ws.ended;
  }

  /** ProtocolVersion, Security (None), SecurityResult, ClientInit (shared), ServerInit. */
  async handshake(): Promise<{ version: string; securityTypes: number[]; securityResult: number }> {
    const version = (await this.read(12)).toString('latin1');
    this.ws.send('RFB 003.008\n');
    const count = (await this.read(1))[0];
    const securityTypes = [...(await this.read(count))];
    this.ws.send(Buffer.from([1]));
    const securityResult = (await this.read(4)).readUInt32BE(0);
    this.ws.send(Buffer.from([1]));
    const head = await this.read(24);
    const name = (await this.read(head.readUInt32BE(20))).toString('utf8');
    this.init = {
      width: head.readUInt16BE(0),
      height: head.readUInt16BE(2),
      bitsPerPixel: head[4],
      depth: head[5],
      trueColour: head[7] === 1,
      name,
    };
    this.format = { bigEndian: head[6] === 1, redShift: head[14], greenShift: head[15], blueShift: head[16] };
    this.framebuffer = new Uint32Array(this.init.width * this.init.height);
    return { version, securityTypes, securityResult };
  }

  /** A 32-bit, depth-24 true-colour format with the given byte order and shifts. */
  setPixelFormat(format: ClientPixelFormat): void {
    const message = Buffer.alloc(20);
    message[0] = 0;
    message.set([32, 24, format.bigEndian ? 1 : 0, 1], 4);
    message.writeUInt16BE(255, 8);
    message.writeUInt16BE(255, 10);
    message.writeUInt16BE(255, 12);
    message.set([format.redShift, format.greenShift, format.blueShift], 14);
    this.ws.send(message);
    this.format = format;
  }

  setEncodings(encodings: number[]): void {
    const message = Buffer.alloc(4 + 4 * encodings.length);
    message[0] = 2;
    message.writeUInt16BE(encodings.length, 2);
    for (const [i, e] of encodings.entries()) message.writeInt32BE(e, 4 + 4 * i);
    this.ws.send(message);
  }

  /** Requests an update and applies the next FramebufferUpdate; returns its rectangles. */
  async update(incremental: boolean, area = { x: 0, y: 0, width: this.init.width, height: this.init.height }, timeoutMs?: number) {
    const message = Buffer.alloc(10);
    message[0] = 3;
    message[1] = incremental ? 1 : 0;
    message.writeUInt16BE(area.x, 2);
    message.writeUInt16BE(area.y, 4);
    message.writeUInt16BE(area.width, 6);
    message.writeUInt16BE(area.height, 8);
    this.ws.send(message);
    return this.readUpdate(timeoutMs);
  }

  /** A key press and release. */
  key(keysym: number): void {
    for (const down of [1, 0]) {
      const message = Buffer.alloc(8);
      message[0] = 4;
      message[1] = down;
      message.writeUInt32BE(keysym, 4);
      this.ws.send(message);
    }
  }

  /** Types a string of printable ASCII (their keysyms are their codes). */
  type(text: string): void {
    for (const char of text) this.key(char.charCodeAt(0));
  }

  pointer(buttons: number, x: number, y: number): void {
    const message = Buffer.alloc(6);
    message[0] = 5;
    message[1] = buttons;
    message.writeUInt16BE(x, 2);
    message.writeUInt16BE(y, 4);
    this.ws.send(message);
  }

  pixel(x: number, y: number): number {
    return this.framebuffer[y * this.init.width + x];
  }

  private async readUpdate(timeoutMs?: number) {
    const header = await this.read(4, timeoutMs);
    if (header[0] !== 0) throw new Error(`expected FramebufferUpdate, got message type ${header[0]}`);
    const rects = [];
    this.lastEncodings = [];
    for (let i = header.readUInt16BE(2); i > 0; i--) {
      const r = await this.read(12);
      const rect = { x: r.readUInt16BE(0), y: r.readUInt16BE(2), width: r.readUInt16BE(4), height: r.readUInt16BE(6) };
      const encoding = r.readInt32BE(8);
      this.lastEncodings.push(encoding);
      if (encoding === ENCODING_RAW) this.applyRaw(rect, await this.read(rect.width * rect.height * 4));
      else if (encoding === ENCODING_ZRLE) this.applyZrle(rect, await this.inflated(await this.read((await this.read(4)).readUInt32BE(0))));
      else throw new Error(`unexpected encoding ${encoding}`);
      rects.push(rect);
    }
    return rects;
  }

  private colour(value: number): number {
    const { redShift, greenShift, blueShift } = this.format;
    return (((value >>> redShift) & 0xff) << 16) | (((value >>> greenShift) & 0xff) << 8) | ((value >>> blueShift) & 0xff);
  }

  private applyRaw(rect: { x: number; y: number; width: number; height: number }, data: Buffer): void {
    for (let i = 0; i < rect.width * rect.height; i++) {
      const value = this.format.bigEndian ? data.readUInt32BE(i * 4) : data.readUInt32LE(i * 4);
      this.set(rect.x + (i % rect.width), rect.y + Math.floor(i / rect.width), this.colour(value));
    }
  }

  /** RFC 6143 7.7.6: 64×64 tiles; CPIXELs of three bytes (the colour fits in the low three bytes of the pixel). */
  private applyZrle(rect: { x: number; y: number; width: number; height: number }, data: Buffer): void {
    let at = 0;
    const cpixel = () => {
      const bytes = data.subarray(at, at + 3);
      at += 3;
      const value = this.format.bigEndian ? bytes.readUIntBE(0, 3) : bytes.readUIntLE(0, 3);
      return this.colour(value);
    };
    for (let ty = 0; ty < rect.height; ty += 64) {
      for (let tx = 0; tx < rect.width; tx += 64) {
        const width = Math.min(64, rect.width - tx);
        const height = Math.min(64, rect.height - ty);
        const put = (i: number, rgb: number) => this.set(rect.x + tx + (i % width), rect.y + ty + Math.floor(i / width), rgb);
        const sub = data[at++];
        if (sub === 0) {
          for (let i = 0; i < width * height; i++) put(i, cpixel());
        } else if (sub === 1) {
          const rgb = cpixel();
          for (let i = 0; i < width * height; i++) put(i, rgb);
        } else if (sub >= 2 && sub <= 16) {
          const palette = Array.from({ length: sub }, cpixel);
          const bits = sub === 2 ? 1 : sub <= 4 ? 2 : 4;
          const rowBytes = Math.ceil((width * bits) / 8);
          for (let y = 0; y < height; y++) {
            for (let x = 0; x < width; x++) {
              const bit = x * bits;
              const index = (data[at + y * rowBytes + (bit >> 3)] >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
              put(y * width + x, palette[index]);
            }
          }
          at += rowBytes * height;
        } else {
          throw new Error(`unexpected ZRLE subencoding ${sub}`);
        }
      }
    }
  }

  private set(x: number, y: number, rgb: number): void {
    this.framebuffer[y * this.init.width + x] = rgb;
  }

  private inflated(data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const onData = (chunk: Buffer) => chunks.push(chunk);
      this.inflate.on('data', onData);
      this.inflate.once('error', reject);
      this.inflate.write(data);
      this.inflate.flush(constants.Z_SYNC_FLUSH, () => {
        this.inflate.off('data', onData);
        resolve(Buffer.concat(chunks));
      });
    });
  }

  private async read(length: number, timeoutMs?: number): Promise<Buffer> {
    while (this.bytes.length < length) this.bytes = Buffer.concat([this.bytes, await this.ws.next(timeoutMs)]);
    const out = this.bytes.subarray(0, length);
    this.bytes = this.bytes.subarray(length);
    return out;
  }
}
