/**
 * The server side of one RFB connection (RFC 6143, versions 3.3, 3.7 and
 * 3.8): the handshake with security type None, ServerInit, and the client's
 * messages. The framebuffer is a text screen: FramebufferUpdateRequests are
 * answered with the requested area (or, when incremental, with the rows that
 * changed since they were last sent, as soon as there are some), in the first
 * encoding of the client's list the server knows (ZRLE or Raw); KeyEvents are
 * typed into the console; pointer and clipboard messages are read and ignored.
 */
import { Encoding, ZlibStream, encodeRaw, zrleTiles } from './encodings.js';
import { CELL_HEIGHT, HEIGHT, WIDTH, renderRgb, type Rect } from './framebuffer.js';
import { KeyboardState } from './keysyms.js';
import { SERVER_PIXEL_FORMAT, type PixelFormat, decodePixelFormat, encodePixelFormat } from './pixel-format.js';
import { ROWS, type TextScreen } from './text-screen.js';

const SECURITY_NONE = 1;
/** The clipboard text a client may send; longer ends the connection rather than buffer it. */
const MAX_CUT_TEXT = 1 << 20;

const ClientMessage = {
  SetPixelFormat: 0,
  SetEncodings: 2,
  FramebufferUpdateRequest: 3,
  KeyEvent: 4,
  PointerEvent: 5,
  ClientCutText: 6,
} as const;

export interface RfbTransport {
  send(data: Buffer): void;
  /** Ends the connection (a protocol error or an unsupported request). */
  close(reason: string): void;
}

export interface RfbConsole {
  screen: TextScreen;
  /** Bytes typed on the keyboard, for the console's input. */
  type(bytes: Buffer): void;
}

type Phase = 'version' | 'security' | 'clientInit' | 'messages' | 'closed';

interface UpdateRequest {
  incremental: boolean;
  rect: Rect;
}

export class RfbSession {
  private phase: Phase = 'version';
  private minorVersion = 8;
  private input: Buffer = Buffer.alloc(0);
  private format: PixelFormat = SERVER_PIXEL_FORMAT;
  private encoding: number = Encoding.Raw;
  private readonly keyboard = new KeyboardState();
  private readonly dirtyRows = new Array<boolean>(ROWS).fill(false);
  private pendingRequest: UpdateRequest | undefined;
  private sending: Promise<void> = Promise.resolve();
  private zlib: ZlibStream | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly console: RfbConsole,
    private readonly desktopName: string,
    private readonly transport: RfbTransport,
  ) {
    this.unsubscribe = console.screen.onChange((first, last) => this.rowsChanged(first, last));
    transport.send(Buffer.from('RFB 003.008\n'));
  }

  receive(chunk: Buffer): void {
    this.input = this.input.length ? Buffer.concat([this.input, chunk]) : chunk;
    for (let used = this.step(); used > 0 && this.phase !== 'closed'; used = this.step()) this.input = this.input.subarray(used);
  }

  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.unsubscribe();
    this.zlib?.close();
  }

  /** Handles one complete message at the head of the input; returns the bytes it used (0 while incomplete). */
  private step(): number {
    const data = this.input;
    switch (this.phase) {
      case 'version':
        return data.length < 12 ? 0 : this.version(data.subarray(0, 12).toString('latin1'));
      case 'security':
        return data.length < 1 ? 0 : this.securityChoice(data[0]);
      case 'clientInit':
        return data.length < 1 ? 0 : this.serverInit();
      case 'messages':
        return data.length < 1 ? 0 : this.message(data);
      default:
        return 0;
    }
  }

  private version(text: string): number {
    const match = /^RFB (\d{3})\.(\d{3})\n$/.exec(text);
    if (!match || Number(match[1]) !== 3 || Number(match[2]) < 3) return this.fail(`unsupported protocol version ${JSON.stringify(text)}`);
    // 3.3 clients get the server's choice; 3.7 and later choose from the list. Unknown minors speak 3.3 (RFC 6143 section 7.1.1).
    this.minorVersion = [7, 8].includes(Number(match[2])) ? Number(match[2]) : 3;
    if (this.minorVersion === 3) {
      this.transport.send(u32(SECURITY_NONE));
      this.phase = 'clientInit';
    } else {
      this.transport.send(Buffer.from([1, SECURITY_NONE]));
      this.phase = 'security';
    }
    return 12;
  }

  private securityChoice(type: number): number {
    if (type !== SECURITY_NONE) {
      if (this.minorVersion === 8) {
        const reason = Buffer.from('security type not supported');
        this.transport.send(Buffer.concat([u32(1), u32(reason.length), reason]));
      }
      return this.fail(`security type ${type} not offered`);
    }
    // SecurityResult follows None only from 3.8 on.
    if (this.minorVersion === 8) this.transport.send(u32(0));
    this.phase = 'clientInit';
    return 1;
  }

  private serverInit(): number {
    const name = Buffer.from(this.desktopName);
    const size = Buffer.alloc(4);
    size.writeUInt16BE(WIDTH, 0);
    size.writeUInt16BE(HEIGHT, 2);
    this.transport.send(Buffer.concat([size, encodePixelFormat(SERVER_PIXEL_FORMAT), u32(name.length), name]));
    this.phase = 'messages';
    return 1;
  }

  private message(data: Buffer): number {
    switch (data[0]) {
      case ClientMessage.SetPixelFormat: {
        if (data.length < 20) return 0;
        const format = decodePixelFormat(data, 4);
        if (!format?.trueColour) return this.fail('only true-colour pixel formats are supported');
        this.format = format;
        return 20;
      }
      case ClientMessage.SetEncodings: {
        if (data.length < 4) return 0;
        const count = data.readUInt16BE(2);
        if (data.length < 4 + 4 * count) return 0;
        const offered = Array.from({ length: count }, (_, i) => data.readInt32BE(4 + 4 * i));
        this.encoding = offered.find((e) => e === Encoding.Zrle || e === Encoding.Raw) ?? Encoding.Raw;
        return 4 + 4 * count;
      }
      case ClientMessage.FramebufferUpdateRequest: {
        if (data.length < 10) return 0;
        const rect = clip({ x: data.readUInt16BE(2), y: data.readUInt16BE(4), width: data.readUInt16BE(6), height: data.readUInt16BE(8) });
        this.pendingRequest = { incremental: data[1] !== 0, rect };
        this.flushUpdate();
        return 10;
      }
      case ClientMessage.KeyEvent: {
        if (data.length < 8) return 0;
        const typed = this.keyboard.keyEvent(data[1] !== 0, data.readUInt32BE(4));
        if (typed) this.console.type(Buffer.from(typed));
        return 8;
      }
      case ClientMessage.PointerEvent:
        return data.length < 6 ? 0 : 6;
      case ClientMessage.ClientCutText: {
        if (data.length < 8) return 0;
        const length = data.readUInt32BE(4);
        if (length > MAX_CUT_TEXT) return this.fail('clipboard text too long');
        return data.length < 8 + length ? 0 : 8 + length;
      }
      default:
        return this.fail(`unknown client message type ${data[0]}`);
    }
  }

  private rowsChanged(first: number, last: number): void {
    for (let row = first; row <= last; row++) this.dirtyRows[row] = true;
    this.flushUpdate();
  }

  /** Answers the pending request if there is something to send: all of it, or its changed rows. */
  private flushUpdate(): void {
    const request = this.pendingRequest;
    if (!request || this.phase !== 'messages') return;
    const rects = request.incremental ? this.changedRects(request.rect) : request.rect.width && request.rect.height ? [request.rect] : [];
    if (request.incremental && rects.length === 0) return;
    this.pendingRequest = undefined;
    for (const rect of rects) {
      for (let row = Math.floor(rect.y / CELL_HEIGHT); row * CELL_HEIGHT < rect.y + rect.height; row++) {
        if (rect.x === 0 && rect.width === WIDTH) this.dirtyRows[row] = false;
      }
    }
    // Rendering is synchronous, so each update shows the screen as it was when answered; compression is queued in order.
    const rendered = rects.map((rect) => ({ rect, pixels: renderRgb(this.console.screen, rect) }));
    const format = this.format;
    const encoding = this.encoding;
    this.sending = this.sending.then(async () => {
      const bodies = await Promise.all(rendered.map(({ rect, pixels }) => this.encodeRect(format, encoding, rect, pixels)));
      if (this.phase === 'closed') return;
      const header = Buffer.alloc(4);
      header.writeUInt16BE(rects.length, 2);
      this.transport.send(Buffer.concat([header, ...bodies]));
    });
  }

  /** The requested area's rows that changed, as full-row rectangles clipped to it (contiguous rows merged). */
  private changedRects(area: Rect): Rect[] {
    const rects: Rect[] = [];
    for (let row = 0; row < ROWS; row++) {
      if (!this.dirtyRows[row]) continue;
      let last = row;
      while (last + 1 < ROWS && this.dirtyRows[last + 1]) last++;
      const top = Math.max(area.y, row * CELL_HEIGHT);
      const bottom = Math.min(area.y + area.height, (last + 1) * CELL_HEIGHT);
      if (bottom > top && area.width > 0) rects.push({ x: area.x, y: top, width: area.width, height: bottom - top });
      row = last;
    }
    return rects;
  }

  private async encodeRect(format: PixelFormat, encoding: number, rect: Rect, pixels: Uint32Array): Promise<Buffer> {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(rect.x, 0);
    header.writeUInt16BE(rect.y, 2);
    header.writeUInt16BE(rect.width, 4);
    header.writeUInt16BE(rect.height, 6);
    header.writeInt32BE(encoding, 8);
    if (encoding !== Encoding.Zrle) return Buffer.concat([header, encodeRaw(format, pixels)]);
    this.zlib ??= new ZlibStream();
    const compressed = await this.zlib.compress(zrleTiles(format, rect, pixels));
    return Buffer.concat([header, u32(compressed.length), compressed]);
  }

  private fail(reason: string): number {
    this.close();
    this.transport.close(reason);
    return 0;
  }
}

const u32 = (value: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value, 0);
  return out;
};

/** The part of a requested rectangle that lies on the screen. */
function clip(rect: Rect): Rect {
  const x = Math.min(rect.x, WIDTH);
  const y = Math.min(rect.y, HEIGHT);
  return { x, y, width: Math.min(rect.width, WIDTH - x), height: Math.min(rect.height, HEIGHT - y) };
}
