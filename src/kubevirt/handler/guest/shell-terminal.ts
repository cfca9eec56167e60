/**
 * A logged-in user's shell on a terminal (the serial port or an SSH pty):
 * the login is recorded while it lasts, the motd and prompt are printed,
 * typed lines run in the user's shell session, and `exit`, `logout` or
 * Ctrl-D end it; power commands go to the machine once their line has run.
 */
import { LineEditor } from '../../../simulation/shell/line-editor.js';
import type { ShellSession } from '../../../simulation/shell/session.js';
import type { GuestUser } from './accounts.js';
import type { GuestMachine } from './machine.js';

export class ShellTerminal {
  private readonly session: ShellSession;
  private readonly editor: LineEditor;
  private readonly loginId: number;
  private ended = false;

  constructor(
    private readonly machine: GuestMachine,
    user: GuestUser,
    tty: string,
    /** Output, with \n line ends (the terminal's owner converts them as its tty does). */
    private readonly write: (text: string) => void,
    /** The shell ended with this exit status. */
    private readonly onEnd: (status: number) => void,
    echo = true,
  ) {
    this.loginId = machine.login(user, tty);
    this.session = machine.openShell(user);
    this.editor = new LineEditor(write, {
      line: (text) => this.line(text),
      interrupt: () => {
        this.session.lastStatus = 130;
        this.prompt();
      },
      endOfFile: () => this.end(),
    });
    this.editor.echo = echo;
    const motd = machine.guest.image.motd;
    if (motd) write(motd);
    this.prompt();
  }

  input(text: string): void {
    if (!this.ended) this.editor.input(text);
  }

  /** The terminal went away (hang-up, connection closed): the login ends. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.machine.logout(this.loginId);
    this.onEnd(this.session.lastStatus);
  }

  private line(text: string): void {
    const { output, action } = this.session.run(text);
    this.write(output);
    if (action === 'exit') return this.end();
    if (action) {
      // The machine halts first, so that the serial getty does not prompt again on a guest going down.
      this.machine.act(action);
      return this.end();
    }
    this.prompt();
  }

  private prompt(): void {
    if (!this.ended) this.write(this.machine.prompt(this.session));
  }
}
