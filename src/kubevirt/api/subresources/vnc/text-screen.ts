/**
 * A VGA-like text screen (80×25 cells) fed by a console's byte stream: a small
 * terminal emulator that knows printable text (UTF-8), CR, LF, backspace, tab,
 * and the ANSI sequences a login session commonly prints (cursor movement and
 * position, erase in display and line, colours and reverse video, cursor
 * visibility); other escape sequences are consumed and ignored.
 * Listeners hear which rows changed, so a VNC client is sent only those.
 */
export const COLUMNS = 80;
export const ROWS = 25;

/** A cell's colours: foreground in the low nibble, background in the high one (VGA's 16-colour attribute). */
const DEFAULT_ATTRIBUTE = 0x07;
const TAB_WIDTH = 8;

/** First and last changed row, inclusive. */
export type RowsChanged = (first: number, last: number) => void;

enum ParserState {
  Ground,
  Escape,
  Csi,
  Osc,
  /** ESC followed by an intermediate byte (charset designation): one more byte to skip. */
  EscapeIntermediate,
}

export class TextScreen {
  readonly text = new Uint32Array(COLUMNS * ROWS).fill(0x20);
  readonly attributes = new Uint8Array(COLUMNS * ROWS).fill(DEFAULT_ATTRIBUTE);
  cursorRow = 0;
  cursorColumn = 0;
  cursorVisible = true;

  private attribute = DEFAULT_ATTRIBUTE;
  private bold = false;
  private reverse = false;
  private state = ParserState.Ground;
  private csiParameters = '';
  private readonly decoder = new TextDecoder('utf-8');
  private readonly listeners = new Set<RowsChanged>();
  private changedFirst = ROWS;
  private changedLast = -1;

  onChange(listener: RowsChanged): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Interprets console output; listeners hear the changed rows once per call. */
  write(bytes: Buffer): void {
    const previousRow = this.cursorRow;
    for (const char of this.decoder.decode(bytes, { stream: true })) this.interpret(char.codePointAt(0)!);
    // The cursor is drawn: its old and new rows change when it moves.
    this.changed(previousRow, previousRow);
    this.changed(this.cursorRow, this.cursorRow);
    if (this.changedLast < 0) return;
    const [first, last] = [this.changedFirst, this.changedLast];
    this.changedFirst = ROWS;
    this.changedLast = -1;
    for (const listener of this.listeners) listener(first, last);
  }

  /** The screen's text, one line per row, trailing blanks trimmed (for logs and tests). */
  lines(): string[] {
    const lines: string[] = [];
    for (let row = 0; row < ROWS; row++) {
      const cells = this.text.subarray(row * COLUMNS, (row + 1) * COLUMNS);
      lines.push(String.fromCodePoint(...cells).trimEnd());
    }
    return lines;
  }

  private interpret(code: number): void {
    switch (this.state) {
      case ParserState.Escape:
        return this.escape(code);
      case ParserState.Csi:
        return this.csi(code);
      case ParserState.Osc:
        // Ended by BEL or by ESC (the ESC of ST, whose backslash then passes as an ignored escape).
        if (code === 0x07) this.state = ParserState.Ground;
        else if (code === 0x1b) this.state = ParserState.Escape;
        return;
      case ParserState.EscapeIntermediate:
        this.state = ParserState.Ground;
        return;
      default:
        return this.ground(code);
    }
  }

  private ground(code: number): void {
    switch (code) {
      case 0x1b:
        this.state = ParserState.Escape;
        return;
      case 0x0d:
        this.cursorColumn = 0;
        return;
      case 0x0a:
      case 0x0b:
      case 0x0c:
        return this.lineFeed();
      case 0x08:
        this.cursorColumn = Math.max(0, Math.min(this.cursorColumn, COLUMNS - 1) - 1);
        return;
      case 0x09:
        this.cursorColumn = Math.min(COLUMNS - 1, (Math.floor(this.cursorColumn / TAB_WIDTH) + 1) * TAB_WIDTH);
        return;
      default:
        if (code >= 0x20 && code !== 0x7f) this.print(code);
    }
  }

  private escape(code: number): void {
    if (code === 0x5b) {
      this.state = ParserState.Csi;
      this.csiParameters = '';
    } else if (code === 0x5d) {
      this.state = ParserState.Osc;
    } else if (code >= 0x20 && code <= 0x2f) {
      this.state = ParserState.EscapeIntermediate;
    } else {
      this.state = ParserState.Ground;
    }
  }

  private csi(code: number): void {
    if (code < 0x40 || code > 0x7e) {
      this.csiParameters += String.fromCodePoint(code);
      return;
    }
    this.state = ParserState.Ground;
    const raw = this.csiParameters;
    if (raw.startsWith('?')) {
      if (raw === '?25' && (code === 0x68 || code === 0x6c)) this.cursorVisible = code === 0x68;
      return;
    }
    const parameters = raw.split(';').map((p) => (p === '' ? 0 : Number.parseInt(p, 10) || 0));
    const count = Math.max(1, parameters[0]);
    switch (String.fromCharCode(code)) {
      case 'A':
        return this.moveTo(this.cursorRow - count, this.cursorColumn);
      case 'B':
        return this.moveTo(this.cursorRow + count, this.cursorColumn);
      case 'C':
        return this.moveTo(this.cursorRow, this.cursorColumn + count);
      case 'D':
        return this.moveTo(this.cursorRow, this.cursorColumn - count);
      case 'G':
        return this.moveTo(this.cursorRow, count - 1);
      case 'd':
        return this.moveTo(count - 1, this.cursorColumn);
      case 'H':
      case 'f':
        return this.moveTo(Math.max(1, parameters[0]) - 1, Math.max(1, parameters[1] ?? 0) - 1);
      case 'J':
        return this.eraseDisplay(parameters[0]);
      case 'K':
        return this.eraseLine(parameters[0]);
      case 'm':
        return this.selectGraphicRendition(parameters);
      default:
    }
  }

  private print(code: number): void {
    if (this.cursorColumn >= COLUMNS) {
      this.cursorColumn = 0;
      this.lineFeed();
    }
    const at = this.cursorRow * COLUMNS + this.cursorColumn;
    this.text[at] = code;
    this.attributes[at] = this.attribute;
    this.changed(this.cursorRow, this.cursorRow);
    this.cursorColumn++;
  }

  private lineFeed(): void {
    if (this.cursorRow < ROWS - 1) {
      this.cursorRow++;
      return;
    }
    this.text.copyWithin(0, COLUMNS);
    this.attributes.copyWithin(0, COLUMNS);
    this.clear((ROWS - 1) * COLUMNS, ROWS * COLUMNS);
    this.changed(0, ROWS - 1);
  }

  private moveTo(row: number, column: number): void {
    this.cursorRow = Math.min(ROWS - 1, Math.max(0, row));
    this.cursorColumn = Math.min(COLUMNS - 1, Math.max(0, column));
  }

  private eraseDisplay(mode: number): void {
    const cursor = this.cursorRow * COLUMNS + this.cursorColumn;
    if (mode === 0) this.clearRows(cursor, COLUMNS * ROWS);
    else if (mode === 1) this.clearRows(0, cursor + 1);
    else this.clearRows(0, COLUMNS * ROWS);
  }

  private eraseLine(mode: number): void {
    const start = this.cursorRow * COLUMNS;
    const cursor = start + Math.min(this.cursorColumn, COLUMNS - 1);
    if (mode === 0) this.clearRows(cursor, start + COLUMNS);
    else if (mode === 1) this.clearRows(start, cursor + 1);
    else this.clearRows(start, start + COLUMNS);
  }

  /** Blanks cells [from, to) in the current background and marks their rows changed. */
  private clearRows(from: number, to: number): void {
    this.clear(from, to);
    this.changed(Math.floor(from / COLUMNS), Math.floor((to - 1) / COLUMNS));
  }

  private clear(from: number, to: number): void {
    this.text.fill(0x20, from, to);
    // Erased cells take the current background, as a VT100's do.
    this.attributes.fill((this.attribute & 0xf0) | (DEFAULT_ATTRIBUTE & 0x0f), from, to);
  }

  private selectGraphicRendition(parameters: number[]): void {
    let foreground = this.attribute & 0x07;
    let background = (this.attribute >> 4) & 0x07;
    if (this.reverse) [foreground, background] = [background, foreground];
    for (const p of parameters) {
      if (p === 0) {
        [foreground, background, this.bold, this.reverse] = [7, 0, false, false];
      } else if (p === 1) this.bold = true;
      else if (p === 22) this.bold = false;
      else if (p === 7) this.reverse = true;
      else if (p === 27) this.reverse = false;
      else if (p >= 30 && p <= 37) foreground = ANSI_TO_VGA[p - 30];
      else if (p === 39) foreground = 7;
      else if (p >= 40 && p <= 47) background = ANSI_TO_VGA[p - 40];
      else if (p === 49) background = 0;
      else if (p >= 90 && p <= 97) foreground = ANSI_TO_VGA[p - 90] | 0x08;
    }
    if (this.reverse) [foreground, background] = [background, foreground];
    this.attribute = ((background & 0x07) << 4) | foreground | (this.bold ? 0x08 : 0);
  }

  private changed(first: number, last: number): void {
    this.changedFirst = Math.min(this.changedFirst, first);
    this.changedLast = Math.max(this.changedLast, last);
  }
}

/** ANSI colour numbers (black, red, green, yellow, blue, magenta, cyan, white) as VGA palette indices. */
const ANSI_TO_VGA = [0, 4, 2, 6, 1, 5, 3, 7];
