/**
 * X11 keysyms (RFB KeyEvent) as the bytes a terminal sends for them: the
 * character keys as UTF-8, Enter as CR, Backspace as DEL (what a Linux console
 * sends), the cursor and editing keys as their VT100/xterm escape sequences,
 * Control plus a letter as its control character.
 */
const SPECIAL_KEYS = new Map<number, string>([
  [0xff08, '\x7f'], // BackSpace
  [0xff09, '\t'], // Tab
  [0xff0d, '\r'], // Return
  [0xff8d, '\r'], // KP_Enter
  [0xff1b, '\x1b'], // Escape
  [0xff50, '\x1b[H'], // Home
  [0xff51, '\x1b[D'], // Left
  [0xff52, '\x1b[A'], // Up
  [0xff53, '\x1b[C'], // Right
  [0xff54, '\x1b[B'], // Down
  [0xff55, '\x1b[5~'], // Page_Up
  [0xff56, '\x1b[6~'], // Page_Down
  [0xff57, '\x1b[F'], // End
  [0xff63, '\x1b[2~'], // Insert
  [0xffff, '\x1b[3~'], // Delete
]);

const CONTROL_KEYS = new Set([0xffe3, 0xffe4]);
/** Keysyms 0x01000000 + code point are Unicode characters (X11's keysymdef.h convention). */
const UNICODE_KEYSYM_BASE = 0x01000000;

/** Tracks the Control keys, and turns a key press into what the terminal sends (nothing for modifiers and unknown keys). */
export class KeyboardState {
  private controlDown = 0;

  keyEvent(down: boolean, keysym: number): string {
    if (CONTROL_KEYS.has(keysym)) {
      this.controlDown = Math.max(0, this.controlDown + (down ? 1 : -1));
      return '';
    }
    if (!down) return '';
    const special = SPECIAL_KEYS.get(keysym);
    if (special !== undefined) return special;
    const codePoint = keysym >= 0x20 && keysym <= 0xff ? keysym : keysym > UNICODE_KEYSYM_BASE ? keysym - UNICODE_KEYSYM_BASE : -1;
    if (codePoint < 0 || codePoint > 0x10ffff) return '';
    if (this.controlDown > 0 && /[@-_a-z]/i.test(String.fromCodePoint(codePoint))) return String.fromCharCode(codePoint & 0x1f);
    return String.fromCodePoint(codePoint);
  }
}
