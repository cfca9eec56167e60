/**
 * FramebufferUpdate rectangle encodings (RFC 6143 section 7.7): Raw, and ZRLE
 * (zlib-compressed run-length tiles, which noVNC, TigerVNC and RealVNC
 * decode). A text screen has few colours per tile, so ZRLE's solid and
 * packed-palette tiles carry most of it in a bit or less per pixel.
 */
import { constants, createDeflate, type Deflate } from 'node:zlib';
import type { Rect } from './framebuffer.js';
import { type PixelFormat, pixelValue, writePixel } from './pixel-format.js';

export const Encoding = { Raw: 0, Zrle: 16 } as const;

const bytesPerPixel = (format: PixelFormat): number => format.bitsPerPixel / 8;

/** Pixel values in `format` for 0xRRGGBB colours (a screen has sixteen, so they are cached). */
function converter(format: PixelFormat): (rgb: number) => number {
  const cache = new Map<number, number>();
  return (rgb) => {
    let value = cache.get(rgb);
    if (value === undefined) cache.set(rgb, (value = pixelValue(format, rgb)));
    return value;
  };
}

export function encodeRaw(format: PixelFormat, pixels: Uint32Array): Buffer {
  const size = bytesPerPixel(format);
  const out = Buffer.alloc(pixels.length * size);
  const value = converter(format);
  for (let i = 0; i < pixels.length; i++) writePixel(format, value(pixels[i]), out, i * size);
  return out;
}

/** ZRLE's compressed pixel (CPIXEL): three bytes when a 32-bit true-colour pixel's colour fits in three of its four. */
function compressedPixelWriter(format: PixelFormat): { size: number; write(value: number, out: Buffer, offset: number): void } {
  const channels = [
    [format.redMax, format.redShift],
    [format.greenMax, format.greenShift],
    [format.blueMax, format.blueShift],
  ];
  const fitsLow = channels.every(([max, shift]) => max * 2 ** shift < 2 ** 24);
  const fitsHigh = channels.every(([, shift]) => shift >= 8);
  if (!format.trueColour || format.bitsPerPixel !== 32 || format.depth > 24 || !(fitsLow || fitsHigh)) {
    const size = bytesPerPixel(format);
    return { size, write: (value, out, offset) => writePixel(format, value, out, offset) };
  }
  // The three bytes that carry colour, in the pixel's byte order.
  const skipFirst = fitsLow === format.bigEndian;
  const word = Buffer.alloc(4);
  return {
    size: 3,
    write(value, out, offset) {
      writePixel(format, value, word, 0);
      word.copy(out, offset, skipFirst ? 1 : 0, skipFirst ? 4 : 3);
    },
  };
}

const TILE = 64;
const SUBENCODING_RAW = 0;
const SUBENCODING_SOLID = 1;
const MAX_PALETTE = 16;

/** The uncompressed ZRLE data of a rectangle: its 64×64 tiles as solid, packed-palette or raw tiles. */
export function zrleTiles(format: PixelFormat, rect: Rect, pixels: Uint32Array): Buffer {
  const cpixel = compressedPixelWriter(format);
  const value = converter(format);
  const parts: Buffer[] = [];
  for (let ty = 0; ty < rect.height; ty += TILE) {
    for (let tx = 0; tx < rect.width; tx += TILE) {
      const width = Math.min(TILE, rect.width - tx);
      const height = Math.min(TILE, rect.height - ty);
      const tile = new Uint32Array(width * height);
      for (let y = 0; y < height; y++) tile.set(pixels.subarray((ty + y) * rect.width + tx, (ty + y) * rect.width + tx + width), y * width);
      parts.push(encodeTile(tile, width, height, (rgb) => value(rgb), cpixel));
    }
  }
  return Buffer.concat(parts);
}

function encodeTile(
  tile: Uint32Array,
  width: number,
  height: number,
  value: (rgb: number) => number,
  cpixel: ReturnType<typeof compressedPixelWriter>,
): Buffer {
  const palette = new Map<number, number>();
  for (const rgb of tile) {
    if (!palette.has(rgb)) palette.set(rgb, palette.size);
    if (palette.size > MAX_PALETTE) break;
  }
  if (palette.size > MAX_PALETTE) {
    const out = Buffer.alloc(1 + tile.length * cpixel.size);
    out[0] = SUBENCODING_RAW;
    for (let i = 0; i < tile.length; i++) cpixel.write(value(tile[i]), out, 1 + i * cpixel.size);
    return out;
  }
  const colours = [...palette.keys()];
  const header = Buffer.alloc(1 + colours.length * cpixel.size);
  header[0] = colours.length === 1 ? SUBENCODING_SOLID : colours.length;
  for (const [i, rgb] of colours.entries()) cpixel.write(value(rgb), header, 1 + i * cpixel.size);
  if (colours.length === 1) return header;
  // Packed palette indices, most significant bits first, each row starting on a byte.
  const bits = colours.length <= 2 ? 1 : colours.length <= 4 ? 2 : 4;
  const rowBytes = Math.ceil((width * bits) / 8);
  const packed = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const index = palette.get(tile[y * width + x])!;
      const bit = x * bits;
      packed[y * rowBytes + (bit >> 3)] |= index << (8 - bits - (bit & 7));
    }
  }
  return Buffer.concat([header, packed]);
}

/**
 * The one zlib stream of a connection's ZRLE rectangles: each rectangle's
 * data is flushed (Z_SYNC_FLUSH) so the client can inflate it whole, and the
 * dictionary carries over to the next, as the protocol requires.
 */
export class ZlibStream {
  private readonly deflate: Deflate = createDeflate();
  private pending: Buffer[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.deflate.on('data', (chunk: Buffer) => this.pending.push(chunk));
  }

  compress(data: Buffer): Promise<Buffer> {
    const done = this.queue.then(
      () =>
        new Promise<Buffer>((resolve) => {
          this.deflate.write(data);
          this.deflate.flush(constants.Z_SYNC_FLUSH, () => {
            const out = Buffer.concat(this.pending);
            this.pending = [];
            resolve(out);
          });
        }),
    );
    this.queue = done;
    return done;
  }

  close(): void {
    this.deflate.destroy();
  }
}
