/**
 * The console font: Spleen 8x16 (BSD-2-Clause, schemas/fonts/), read from its
 * BDF file once. Glyphs are 16 rows of one byte each, most significant bit
 * leftmost, for the code points the font covers (ASCII, Latin-1, box drawing).
 */
import { readFileSync } from 'node:fs';

export const GLYPH_WIDTH = 8;
export const GLYPH_HEIGHT = 16;

const fontUrl = new URL('../../../../../schemas/fonts/spleen-8x16.bdf', import.meta.url);

/** Parses the BITMAP rows of every glyph of a monospaced BDF font whose bounding box is the whole cell. */
export function parseBdf(text: string): Map<number, Uint8Array> {
  const glyphs = new Map<number, Uint8Array>();
  let code = -1;
  let rows: number[] | undefined;
  for (const line of text.split('\n')) {
    const [keyword, value] = line.trim().split(/\s+/, 2);
    if (keyword === 'ENCODING') code = Number(value);
    else if (keyword === 'BITMAP') rows = [];
    else if (keyword === 'ENDCHAR') {
      if (rows && code >= 0) glyphs.set(code, Uint8Array.from(rows));
      rows = undefined;
      code = -1;
    } else if (rows) rows.push(Number.parseInt(keyword, 16));
  }
  return glyphs;
}

let font: Map<number, Uint8Array> | undefined;

/** The glyph of a code point; '?' for one the font lacks. */
export function glyph(codePoint: number): Uint8Array {
  font ??= parseBdf(readFileSync(fontUrl, 'utf8'));
  return font.get(codePoint) ?? font.get(0x3f)!;
}
