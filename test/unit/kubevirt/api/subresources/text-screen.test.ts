/** The VGA console's terminal emulator: text, control characters, the common ANSI sequences, and which rows changed. */
import t from 'tap';
import { TextScreen } from '../../../../../src/kubevirt/api/subresources/vnc/text-screen.js';
import { KeyboardState } from '../../../../../src/kubevirt/api/subresources/vnc/keysyms.js';

const fed = (...chunks: string[]) => {
  const screen = new TextScreen();
  for (const chunk of chunks) screen.write(Buffer.from(chunk));
  return screen;
};

t.test('printable text, CR/LF, backspace, tab, and line wrap', async (t) => {
  const screen = fed('login: ab\bc\r\n\tx', '\r\n', 'y'.repeat(85));
  t.same(screen.lines().slice(0, 4), ['login: ac', '        x', 'y'.repeat(80), 'yyyyy']);
  t.same([screen.cursorRow, screen.cursorColumn], [3, 5]);
});

t.test('UTF-8 split across writes, and scrolling past the last row', async (t) => {
  const euro = Buffer.from('€');
  const screen = new TextScreen();
  screen.write(euro.subarray(0, 1));
  screen.write(euro.subarray(1));
  t.equal(screen.lines()[0], '€');
  for (let i = 1; i <= 30; i++) screen.write(Buffer.from(`\r\nline ${i}`));
  t.equal(screen.lines()[24], 'line 30');
  t.equal(screen.lines()[0], 'line 6');
});

t.test('cursor movement, erase and colours', async (t) => {
  const screen = fed('hello world\x1b[1;7Hthere\x1b[K\x1b[3;1H\x1b[1;31mred\x1b[0m\x1b]0;title\x07!\x1b(B\x1b[?25l');
  t.same(screen.lines().slice(0, 3), ['hello there', '', 'red!']);
  t.equal(screen.attributes[2 * 80], 0x0c, 'bold red is bright red on black');
  t.equal(screen.attributes[2 * 80 + 3], 0x07, 'reset to light grey');
  t.equal(screen.cursorVisible, false);
  screen.write(Buffer.from('\x1b[2J'));
  t.same(screen.lines().join(''), '');
});

t.test('listeners hear the changed rows, the cursor rows included', async (t) => {
  const screen = fed('a\r\nb\r\nc');
  const heard: Array<[number, number]> = [];
  screen.onChange((first, last) => heard.push([first, last]));
  screen.write(Buffer.from('d'));
  screen.write(Buffer.from('\x1b[1;1H'));
  t.same(heard, [
    [2, 2],
    [0, 2],
  ]);
});

t.test('keysyms become what a terminal sends', async (t) => {
  const keyboard = new KeyboardState();
  const press = (keysym: number) => keyboard.keyEvent(true, keysym);
  t.same(
    [press(0x61), press(0x41), press(0xff0d), press(0xff08), press(0xff09), press(0xff52), press(0xe9)],
    ['a', 'A', '\r', '\x7f', '\t', '\x1b[A', 'é'],
  );
  t.equal(keyboard.keyEvent(false, 0x61), '', 'releases type nothing');
  keyboard.keyEvent(true, 0xffe3);
  t.equal(press(0x63), '\x03', 'Control-C');
  keyboard.keyEvent(false, 0xffe3);
  t.equal(press(0x63), 'c');
  t.equal(press(0xffe1), '', 'Shift alone types nothing');
});
