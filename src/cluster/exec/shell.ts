/**
 * The command runner of simulated containers: runs argv from the image's
 * command table, `cat` copying stdin, and a small POSIX-like `sh` (`sh -c`,
 * or interactive on stdin, with a prompt and echo on a TTY): words with
 * quotes, $VAR and $?, `;`, `&&`, `||`, `exit N`. It is no bash clone; the
 * guest model's shell can replace it behind CommandRunner.
 */
import { BUILTIN_COMMANDS } from './commands.js';
import type { Command, CommandRunner, ContainerEnvironment, ContainerProcess, ProcessIO } from './process.js';

const SHELLS = new Set(['sh', 'bash', 'ash']);

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** A process whose work is done at start. */
const finished = (exitCode: number): ContainerProcess => ({
  input: () => undefined,
  hangUp: () => undefined,
  exited: Promise.resolve(exitCode),
});

export const tableRunner: CommandRunner = {
  start(argv, env, io, options) {
    const out = options.tty ? onTerminal(io) : io;
    const name = basename(argv[0] ?? '');
    if (SHELLS.has(name)) {
      const shell = new Shell(env, out);
      if (argv[1] === '-c') return finished(shell.run(argv[2] ?? ''));
      return shell.interactive(options.tty);
    }
    if (name === 'cat' && argv.length === 1) return copyingInput(out);
    const command = lookup(env, name);
    if (!command) {
      throw new Error(
        `failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: exec: "${argv[0]}": executable file not found in $PATH: unknown`,
      );
    }
    return finished(command(argv.slice(1), env, out));
  },
};

const lookup = (env: ContainerEnvironment, name: string): Command | undefined => env.commands.get(name) ?? BUILTIN_COMMANDS.get(name);

/** Output on a terminal: the line discipline turns LF into CR LF. */
const onTerminal = (io: ProcessIO): ProcessIO => ({
  stdout: (text) => io.stdout(text.replace(/\r?\n/g, '\r\n')),
  stderr: (text) => io.stderr(text.replace(/\r?\n/g, '\r\n')),
});

function copyingInput(io: ProcessIO): ContainerProcess {
  let exit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  return {
    input: (data) => (data ? io.stdout(data.toString('utf8')) : exit(0)),
    hangUp: () => exit(0),
    exited,
  };
}

class ShellExit {
  constructor(readonly code: number) {}
}

class Shell {
  private status = 0;

  constructor(
    private readonly env: ContainerEnvironment,
    private readonly io: ProcessIO,
  ) {}

  /** Runs a script; returns the status of its last command (or the code `exit` gave). */
  run(script: string): number {
    try {
      for (const line of script.split('\n')) this.runLine(line);
      return this.status;
    } catch (exit) {
      if (exit instanceof ShellExit) return exit.code;
      throw exit;
    }
  }

  /** Reads commands from stdin: a line at a time, echoed and prompted on a TTY; ends at `exit`, Ctrl-D or end of input. */
  interactive(tty: boolean): ContainerProcess {
    let exit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (exit = resolve));
    let line = '';
    let done = false;
    const prompt = () => tty && this.io.stdout(this.env.prompt);
    const end = (code: number) => {
      if (done) return;
      done = true;
      exit(code);
    };
    prompt();
    return {
      input: (data) => {
        if (done) return;
        if (!data) return end(this.status);
        for (const char of data.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            if (tty) this.io.stdout('\n');
            const code = this.runOrExit(line);
            line = '';
            if (code !== undefined) return end(code);
            prompt();
          } else if (tty && char === '\x7f') {
            if (!line) continue;
            line = line.slice(0, -1);
            this.io.stdout('\b \b');
          } else if (tty && char === '\x03') {
            line = '';
            this.io.stdout('^C\n');
            prompt();
          } else if (tty && char === '\x04' && line === '') {
            return end(this.status);
          } else {
            line += char;
            if (tty) this.io.stdout(char);
          }
        }
      },
      hangUp: () => end(129),
      exited,
    };
  }

  private runOrExit(line: string): number | undefined {
    try {
      this.runLine(line);
      return undefined;
    } catch (exit) {
      if (exit instanceof ShellExit) return exit.code;
      throw exit;
    }
  }

  /** One line: commands joined by `;`, `&&` and `||`. */
  private runLine(line: string): void {
    const parts = line.split(/(;|&&|\|\|)/);
    let connector = ';';
    for (const part of parts) {
      if (part === ';' || part === '&&' || part === '||') {
        connector = part;
        continue;
      }
      if ((connector === '&&' && this.status !== 0) || (connector === '||' && this.status === 0)) continue;
      const words = this.words(part);
      if (words.length > 0) this.status = this.runCommand(words);
    }
  }

  private runCommand(words: string[]): number {
    // `>&2` (or `1>&2`) sends the command's output to stderr; no other redirection is simulated.
    const toStderr = words.some((w) => w === '>&2' || w === '1>&2');
    const [name, ...args] = words.filter((w) => w !== '>&2' && w !== '1>&2');
    const io = toStderr ? { stdout: this.io.stderr, stderr: this.io.stderr } : this.io;
    if (name === 'exit') throw new ShellExit(args[0] === undefined ? this.status : Number.parseInt(args[0], 10) & 0xff || 0);
    if (SHELLS.has(basename(name)) && args[0] === '-c') return new Shell(this.env, io).run(args[1] ?? '');
    const command = lookup(this.env, basename(name));
    if (!command) {
      io.stderr(`sh: ${name}: not found\n`);
      return 127;
    }
    return command(args, this.env, io);
  }

  /** Splits on blanks, with single and double quotes, $NAME, ${NAME} and $? expanded outside single quotes. */
  private words(text: string): string[] {
    const words: string[] = [];
    const pattern = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\s+)|([^\s'"]+)/g;
    let current: string | undefined;
    for (const [, single, double, blank, bare] of text.matchAll(pattern)) {
      if (blank !== undefined) {
        if (current !== undefined) words.push(current);
        current = undefined;
      } else {
        current = (current ?? '') + (single ?? this.expand((double ?? bare).replace(/\\(.)/g, '$1')));
      }
    }
    if (current !== undefined) words.push(current);
    return words;
  }

  private expand(text: string): string {
    const variables = new Map(this.env.env);
    return text.replace(/\$(\?|\{(\w+)\}|(\w+))/g, (_match, _all, braced, plain) =>
      braced === undefined && plain === undefined ? String(this.status) : (variables.get(braced ?? plain) ?? ''),
    );
  }
}
