/**
 * A terminal's canonical mode, as the kernel's tty line discipline runs it
 * for a getty or a shell: typed characters are echoed (unless a password is
 * being read), backspace erases, Enter hands over a line, Ctrl-C drops the
 * line, Ctrl-D on an empty line is end of file. Output goes to `write`.
 */

export interface LineEditorEvents {
  line(text: string): void;
  interrupt(): void;
  endOfFile(): void;
}

export class LineEditor {
  private buffer = '';
  /** Whether typed characters are echoed (off while a password is read). */
  echo = true;
  /** The last character was a carriage return: a following newline belongs to it (CRLF). */
  private afterCarriageReturn = false;
  /** Inside an escape sequence (arrow and function keys: ESC [ ... final byte), which canonical mode does not edit with. */
  private escape: '' | 'esc' | 'csi' = '';

  constructor(
    private readonly write: (text: string) => void,
    private readonly events: LineEditorEvents,
  ) {}

  /** Typed input, any number of characters at once. */
  input(text: string): void {
    for (const char of text) {
      if (this.skipsEscape(char)) continue;
      const crlf = this.afterCarriageReturn && char === '\n';
      this.afterCarriageReturn = char === '\r';
      if (crlf) continue;
      if (char === '\r' || char === '\n') {
        const line = this.buffer;
        this.buffer = '';
        this.write('\r\n');
        this.events.line(line);
      } else if (char === '\x7f' || char === '\b') {
        if (this.buffer.length === 0) continue;
        this.buffer = this.buffer.slice(0, -1);
        if (this.echo) this.write('\b \b');
      } else if (char === '\x03') {
        this.buffer = '';
        this.write('^C\r\n');
        this.events.interrupt();
      } else if (char === '\x04') {
        if (this.buffer === '') this.events.endOfFile();
      } else if (char === '\x15') {
        if (this.echo) this.write('\b \b'.repeat(this.buffer.length));
        this.buffer = '';
      } else if (char >= ' ' || char === '\t') {
        this.buffer += char;
        if (this.echo) this.write(char);
      }
    }
  }

  /** Swallows ESC, ESC [ and the parameter bytes up to the final byte of a control sequence. */
  private skipsEscape(char: string): boolean {
    if (char === '\x1b') {
      this.escape = 'esc';
      return true;
    }
    if (this.escape === 'esc') {
      this.escape = char === '[' || char === 'O' ? 'csi' : '';
      return true;
    }
    if (this.escape === 'csi') {
      if (char >= '@' && char <= '~') this.escape = '';
      return true;
    }
    return false;
  }
}
