/**
 * The pixels of a text screen as a VGA text mode shows them: 9×16 cells
 * (720×400 for 80×25), the 8-pixel glyph plus a ninth column that is blank
 * except for box-drawing and block characters, which extend into it; the
 * cursor is an underline in the cell's foreground colour.
 */
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';
import { COLUMNS, ROWS, type TextScreen } from './text-screen.js';

export const CELL_WIDTH = GLYPH_WIDTH + 1;
export const CELL_HEIGHT = GLYPH_HEIGHT;
export const WIDTH = COLUMNS * CELL_WIDTH;
export const HEIGHT = ROWS * CELL_HEIGHT;

/** The VGA's default 16-colour palette, as 0xRRGGBB. */
const PALETTE = [
  0x000000, 0x0000aa, 0x00aa00, 0x00aaaa, 0xaa0000, 0xaa00aa, 0xaa5500, 0xaaaaaa, 0x555555, 0x5555ff, 0x55ff55, 0x55ffff, 0xff5555,
  0xff55ff, 0xffff55, 0xffffff,
];

/** The cursor's scan lines within its cell. */
const CURSOR_FIRST_LINE = 14;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const extendsIntoNinthColumn = (code: number): boolean => code >= 0x2500 && code <= 0x259f;

/** The rectangle's pixels, row by row, as 0xRRGGBB. */
export function renderRgb(screen: TextScreen, rect: Rect): Uint32Array {
  const out = new Uint32Array(rect.width * rect.height);
  let at = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const row = Math.floor(y / CELL_HEIGHT);
    const line = y % CELL_HEIGHT;
    const cursorLine = screen.cursorVisible && row === screen.cursorRow && line >= CURSOR_FIRST_LINE;
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const column = Math.floor(x / CELL_WIDTH);
      const cell = row * COLUMNS + column;
      const code = screen.text[cell];
      const attribute = screen.attributes[cell];
      const dot = x % CELL_WIDTH;
      const bits = glyph(code)[line];
      const glyphDot = dot < GLYPH_WIDTH ? (bits >> (GLYPH_WIDTH - 1 - dot)) & 1 : extendsIntoNinthColumn(code) ? bits & 1 : 0;
      const lit = glyphDot === 1 || (cursorLine && column === screen.cursorColumn);
      out[at++] = PALETTE[lit ? attribute & 0x0f : attribute >> 4];
    }
  }
  return out;
}
