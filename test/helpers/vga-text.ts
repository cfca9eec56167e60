/**
 * Reading a VGA text console's framebuffer (9×16 cells, 80×25) back as text,
 * and what text a terminal shows for a console transcript, so a test can say
 * that the VNC screen shows what the serial console printed. The reader
 * matches each cell's lit pixels against the font's printable ASCII glyphs
 * ('\u2592' for a cell that matches none, such as the underline cursor's);
 * the transcript side is a plain terminal written from the console's rules
 * (CR, LF, deferred wrap at the last column, scrolling), not the emulator's.
 */
import { glyph } from '../../src/kubevirt/api/subresources/vnc/font.js';

export const [CELL_W, CELL_H, COLUMNS, ROWS] = [9, 16, 80, 25];
export const UNKNOWN_CELL = '\u2592';

/** A framebuffer's pixels as 0xRRGGBB (an RFB client's, a browser canvas's). */
export interface Pixels {
  pixel(x: number, y: number): number;
}

/** The characters on screen, one string per row, trailing blanks trimmed. */
export function screenText(client: Pixels): string[] {
  const glyphs = new Map<string, string>();
  for (let code = 0x20; code < 0x7f; code++) glyphs.set(Buffer.from(glyph(code)).toString('hex'), String.fromCharCode(code));
  const lines: string[] = [];
  for (let row = 0; row < ROWS; row++) {
    let line = '';
    for (let column = 0; column < COLUMNS; column++) {
      const background = client.pixel(column * CELL_W + 8, row * CELL_H);
      const bits = Buffer.alloc(CELL_H);
      for (let y = 0; y < CELL_H; y++) {
        for (let x = 0; x < 8; x++) if (client.pixel(column * CELL_W + x, row * CELL_H + y) !== background) bits[y] |= 0x80 >> x;
      }
      line += glyphs.get(bits.toString('hex')) ?? UNKNOWN_CELL;
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

/**
 * The 25 rows a blank 80-column screen shows after `transcript` (plain text with CR LF line ends), the cursor's
 * cell marked as unknown (it is drawn over the character there).
 */
export function terminalRows(transcript: string): string[] {
  const lines: string[][] = [[]];
  let [row, column] = [0, 0];
  for (const char of transcript) {
    if (char === '\r') column = 0;
    else if (char === '\n') lines[++row] ??= [];
    else {
      if (column === COLUMNS) {
        lines[++row] ??= [];
        column = 0;
      }
      lines[row][column++] = char;
    }
  }
  lines[row][Math.min(column, COLUMNS - 1)] = UNKNOWN_CELL;
  const shown = lines.slice(Math.max(0, row + 1 - ROWS), row + 1).map((cells) =>
    Array.from(cells, (c) => c ?? ' ')
      .join('')
      .trimEnd(),
  );
  while (shown.length < ROWS) shown.push('');
  return shown;
}
