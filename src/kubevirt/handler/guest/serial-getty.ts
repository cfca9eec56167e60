/**
 * What runs on the guest's serial port (ttyS0): a getty asking `login:` and
 * `Password:` (not echoed), "Login incorrect" for a wrong user or password,
 * Enter on an empty line prompting again; after a login, the user's shell
 * until `exit`, `logout` or Ctrl-D, then the getty again.
 */
import { LineEditor } from '../../../simulation/shell/line-editor.js';
import type { GuestMachine } from './machine.js';
import { ShellTerminal } from './shell-terminal.js';

type State = { kind: 'login' } | { kind: 'password'; name: string } | { kind: 'shell'; terminal: ShellTerminal } | { kind: 'stopped' };

export class SerialGetty {
  private state: State = { kind: 'login' };
  /**
   * Made on the first input: most guests' serial ports are never typed on, and every running VMI has a getty (its
   * editor and callbacks are about 0.5 KiB). Everything that reads it runs after an input.
   */
  private lineEditor: LineEditor | undefined;

  constructor(private readonly machine: GuestMachine) {}

  private get editor(): LineEditor {
    this.lineEditor ??= new LineEditor((text) => this.machine.printSerial(text), {
      line: (text) => this.line(text),
      interrupt: () => this.prompt(),
      endOfFile: () => undefined,
    });
    return this.lineEditor;
  }

  input(text: string): void {
    if (!this.machine.hasShell) return;
    if (this.state.kind === 'shell') this.state.terminal.input(text);
    else if (this.state.kind !== 'stopped') this.editor.input(text);
  }

  /** The guest is going down: nothing answers on the port any more. */
  stop(): void {
    const state = this.state;
    this.state = { kind: 'stopped' };
    if (state.kind === 'shell') state.terminal.end();
  }

  private line(text: string): void {
    const state = this.state;
    const image = this.machine.guest.image;
    if (state.kind === 'login') {
      const name = text.trim();
      if (name === '') return this.prompt();
      if (this.machine.userNamed(name)?.password === '') return this.startShell(name);
      this.state = { kind: 'password', name };
      this.editor.echo = false;
      this.machine.printSerial(image.prompts!.password);
    } else if (state.kind === 'password') {
      this.editor.echo = true;
      if (this.machine.authenticate(state.name, text)) return this.startShell(state.name);
      this.state = { kind: 'login' };
      this.machine.printSerial(`\n${image.loginIncorrect ?? 'Login incorrect'}\n`);
      this.prompt();
    }
  }

  private startShell(name: string): void {
    const terminal = new ShellTerminal(
      this.machine,
      this.machine.userNamed(name)!,
      'ttyS0',
      (text) => this.machine.printSerial(text),
      () => {
        if (this.state.kind !== 'shell') return;
        this.state = { kind: 'login' };
        this.machine.printSerial('\n');
        this.prompt();
      },
    );
    if (this.state.kind !== 'stopped') this.state = { kind: 'shell', terminal };
  }

  private prompt(): void {
    if (this.state.kind !== 'login') return;
    this.editor.echo = true;
    this.machine.printSerial(this.machine.guest.image.prompts!.login.replaceAll('{host}', this.machine.hostname));
  }
}
