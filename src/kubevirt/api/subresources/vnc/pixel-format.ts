/**
 * RFB pixel formats (RFC 6143 section 7.4): how a client wants pixel values
 * laid out. Only true-colour formats are served; colour-map formats are
 * refused by the session.
 */
export interface PixelFormat {
  bitsPerPixel: 8 | 16 | 32;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** What the server announces in ServerInit: 32 bits per pixel, depth 24, little-endian, xRGB. */
export const SERVER_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
};

export const PIXEL_FORMAT_LENGTH = 16;

export function encodePixelFormat(format: PixelFormat): Buffer {
  const out = Buffer.alloc(PIXEL_FORMAT_LENGTH);
  out.writeUInt8(format.bitsPerPixel, 0);
  out.writeUInt8(format.depth, 1);
  out.writeUInt8(format.bigEndian ? 1 : 0, 2);
  out.writeUInt8(format.trueColour ? 1 : 0, 3);
  out.writeUInt16BE(format.redMax, 4);
  out.writeUInt16BE(format.greenMax, 6);
  out.writeUInt16BE(format.blueMax, 8);
  out.writeUInt8(format.redShift, 10);
  out.writeUInt8(format.greenShift, 11);
  out.writeUInt8(format.blueShift, 12);
  return out;
}

/** Decodes a PIXEL_FORMAT; undefined when its bits-per-pixel is not one RFB allows. */
export function decodePixelFormat(data: Buffer, offset: number): PixelFormat | undefined {
  const bitsPerPixel = data.readUInt8(offset);
  if (bitsPerPixel !== 8 && bitsPerPixel !== 16 && bitsPerPixel !== 32) return undefined;
  return {
    bitsPerPixel,
    depth: data.readUInt8(offset + 1),
    bigEndian: data.readUInt8(offset + 2) !== 0,
    trueColour: data.readUInt8(offset + 3) !== 0,
    redMax: data.readUInt16BE(offset + 4),
    greenMax: data.readUInt16BE(offset + 6),
    blueMax: data.readUInt16BE(offset + 8),
    redShift: data.readUInt8(offset + 10),
    greenShift: data.readUInt8(offset + 11),
    blueShift: data.readUInt8(offset + 12),
  };
}

/** The pixel value of a 0xRRGGBB colour in `format`. */
export function pixelValue(format: PixelFormat, rgb: number): number {
  const scale = (channel: number, max: number) => Math.round((channel * max) / 255);
  const red = scale(rgb >>> 16, format.redMax) << format.redShift;
  const green = scale((rgb >>> 8) & 0xff, format.greenMax) << format.greenShift;
  const blue = scale(rgb & 0xff, format.blueMax) << format.blueShift;
  return (red | green | blue) >>> 0;
}

/** Writes one pixel value in the format's size and byte order. */
export function writePixel(format: PixelFormat, value: number, out: Buffer, offset: number): void {
  if (format.bitsPerPixel === 8) out.writeUInt8(value & 0xff, offset);
  else if (format.bitsPerPixel === 16)
    format.bigEndian ? out.writeUInt16BE(value & 0xffff, offset) : out.writeUInt16LE(value & 0xffff, offset);
  else format.bigEndian ? out.writeUInt32BE(value, offset) : out.writeUInt32LE(value, offset);
}
