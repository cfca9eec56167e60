/**
 * The VNC server's rectangles decoded by noVNC 1.7's own decoders (ZRLE with
 * its pako inflater across updates, and Raw), in noVNC's pixel format: what a
 * browser running noVNC would draw equals the rendered console. (noVNC's RFB
 * class needs a DOM; its decoders do not.)
 */
import t from 'tap';
// The package exports only its RFB class; the decoders are imported by path.
import RawDecoder from '../../../../../node_modules/@novnc/novnc/core/decoders/raw.js';
import ZRLEDecoder from '../../../../../node_modules/@novnc/novnc/core/decoders/zrle.js';
import { HEIGHT, WIDTH, renderRgb } from '../../../../../src/kubevirt/api/subresources/vnc/framebuffer.js';
import { RfbSession } from '../../../../../src/kubevirt/api/subresources/vnc/rfb-session.js';
import { TextScreen } from '../../../../../src/kubevirt/api/subresources/vnc/text-screen.js';

/** The read side of noVNC's Websock, over what the server sent. */
class ReceiveQueue {
  bytes = Buffer.alloc(0);
  rQwait(_what: string, length: number): boolean {
    return this.bytes.length < length;
  }
  rQshift32(): number {
    const value = this.bytes.readUInt32BE(0);
    this.bytes = this.bytes.subarray(4);
    return value;
  }
  rQshiftBytes(length: number): Uint8Array {
    const out = new Uint8Array(this.bytes.subarray(0, length));
    this.bytes = this.bytes.subarray(length);
    return out;
  }
  take(length: number): Buffer {
    const out = this.bytes.subarray(0, length);
    this.bytes = this.bytes.subarray(length);
    return out;
  }
}

/** noVNC's Display, reduced to the two calls the decoders make, drawing into 0xRRGGBB pixels. */
class Canvas {
  pixels = new Uint32Array(WIDTH * HEIGHT);
  fillRect(x: number, y: number, width: number, height: number, [r, g, b]: number[]): void {
    for (let row = y; row < y + height; row++) this.pixels.fill((r << 16) | (g << 8) | b, row * WIDTH + x, row * WIDTH + x + width);
  }
  blitImage(x: number, y: number, width: number, height: number, data: Uint8Array, offset: number): void {
    for (let i = 0; i < width * height; i++) {
      const at = offset + i * 4;
      this.pixels[(y + Math.floor(i / width)) * WIDTH + x + (i % width)] = (data[at] << 16) | (data[at + 1] << 8) | data[at + 2];
    }
  }
}

/** What noVNC's decoders offer: decode one rectangle, false while its data has not all arrived. */
interface NoVncDecoder {
  decodeRect(x: number, y: number, width: number, height: number, sock: ReceiveQueue, display: Canvas, depth: number): boolean;
}

/** A session driven with the messages noVNC sends (its 24-bit pixel format: red in the low byte). */
async function noVncSession(screen: TextScreen, encodings: number[]) {
  const received = new ReceiveQueue();
  const session = new RfbSession({ screen, type: (bytes) => screen.write(bytes) }, 'vm', {
    send: (data) => {
      received.bytes = Buffer.concat([received.bytes, data]);
    },
    close: (reason) => t.fail(reason),
  });
  const pixelFormat = Buffer.from([0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0]);
  const setEncodings = Buffer.alloc(4 + 4 * encodings.length);
  setEncodings[0] = 2;
  setEncodings.writeUInt16BE(encodings.length, 2);
  for (const [i, encoding] of encodings.entries()) setEncodings.writeInt32BE(encoding, 4 + 4 * i);
  session.receive(Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1, 1]), pixelFormat, setEncodings]));
  received.take(12 + 2 + 4 + 24 + 2);
  return {
    received,
    async update(incremental: boolean, decoder: NoVncDecoder, canvas: Canvas): Promise<number> {
      const request = Buffer.from([3, incremental ? 1 : 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      request.writeUInt16BE(WIDTH, 6);
      request.writeUInt16BE(HEIGHT, 8);
      session.receive(request);
      while (received.bytes.length < 4) await new Promise((resolve) => setImmediate(resolve));
      const rects = received.take(4).readUInt16BE(2);
      for (let i = 0; i < rects; i++) {
        while (received.bytes.length < 12) await new Promise((resolve) => setImmediate(resolve));
        const header = received.take(12);
        const [x, y, width, height] = [0, 2, 4, 6].map((at) => header.readUInt16BE(at));
        while (!decoder.decodeRect(x, y, width, height, received, canvas, 24)) await new Promise((resolve) => setImmediate(resolve));
      }
      return rects;
    },
  };
}

/** Pixels where what noVNC drew differs from the rendered screen. */
function differing(canvas: Canvas, screen: TextScreen): number {
  const expected = renderRgb(screen, { x: 0, y: 0, width: WIDTH, height: HEIGHT });
  return canvas.pixels.reduce((count, rgb, i) => count + (rgb === expected[i] ? 0 : 1), 0);
}

t.test('noVNC decodes ZRLE updates, full then incremental, into the rendered screen', async (t) => {
  const screen = new TextScreen();
  screen.write(Buffer.from('\x1b[1;32mvm\x1b[0m login: '));
  const client = await noVncSession(screen, [16, 0]);
  const decoder = new ZRLEDecoder();
  const canvas = new Canvas();
  t.equal(await client.update(false, decoder, canvas), 1);
  t.equal(differing(canvas, screen), 0, 'the full update');
  t.ok(canvas.pixels.includes(0x55ff55) && canvas.pixels.includes(0xaaaaaa), 'bright green and grey text');

  const pending = client.update(true, decoder, canvas);
  screen.write(Buffer.from('cirros\r\nPassword: '));
  t.equal(await pending, 1, 'the changed rows in one rectangle');
  t.equal(differing(canvas, screen), 0, 'the incremental update, inflated with the same zlib stream');
});

t.test('noVNC decodes Raw updates into the rendered screen', async (t) => {
  const screen = new TextScreen();
  screen.write(Buffer.from('hello\r\n\x1b[7mreverse\x1b[0m'));
  const client = await noVncSession(screen, [0]);
  const canvas = new Canvas();
  await client.update(false, new RawDecoder(), canvas);
  t.equal(differing(canvas, screen), 0);
});
