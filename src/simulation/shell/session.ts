/**
 * A shell session: who is logged in, where, the variables, and a table of
 * commands to dispatch to. It runs one line at a time (see parse.ts) and
 * answers the text the commands printed, the exit status, and what the
 * session asks of whoever hosts it (end the session, power off, reboot).
 * It knows nothing of VMs or pods: the host hands it the commands, the files
 * and the dialect (how its shell words errors), all of which are data.
 */
import { ShellSyntaxError, expandWords, parseLine, type Pipeline, type SimpleCommand } from './parse.js';

export interface ShellUser {
  name: string;
  uid: number;
  gid: number;
  /** Supplementary groups as `gid(name)` pairs, the primary group first. */
  groups: Array<{ gid: number; name: string }>;
  home: string;
  /** May run `sudo` (without a password, as cloud images configure their default user). */
  sudo: boolean;
}

/** What a command asks of the session's host once the line has run. */
export type ShellAction = 'exit' | 'poweroff' | 'reboot';

export interface CommandResult {
  stdout?: string;
  stderr?: string;
  exitCode: number;
  action?: ShellAction;
}

/** A command: its words (argv[0] is its name), standard input from a pipe, and the session it runs in. */
export type Command = (argv: string[], session: ShellSession, stdin: string) => CommandResult;

/** How a shell words its errors: `{shell}`, `{command}`, `{message}` are filled in. */
export interface ShellDialect {
  /** The shell's name in messages (`-sh` for busybox ash as a login shell, `-bash` for bash). */
  name: string;
  notFound: string;
  syntaxError: string;
  /** Other messages by key (`catMissing`, `lsMissing`, `cdMissing`, `notPermitted`, ...), with `{path}` and such filled in. */
  messages: Record<string, string>;
}

/**
 * A file system as a map of absolute paths to contents (text, or the bytes a file transfer wrote); directories are
 * the paths' prefixes and the empty ones listed. Each file keeps when it was last written, by the host's clock.
 */
/** An absolute path with empty, `.` and `..` segments resolved (`/a/./b/../c` is `/a/c`; `..` above `/` stays at `/`). */
export function normalizePath(absolute: string): string {
  const parts: string[] = [];
  for (const part of absolute.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

export class FileTree {
  private readonly files = new Map<string, { content: string | Buffer; modifiedMs: number }>();

  constructor(
    files: Record<string, string> = {},
    private readonly now: () => number = () => 0,
  ) {
    for (const [path, content] of Object.entries(files)) this.files.set(path, { content, modifiedMs: now() });
  }

  read(path: string): string | undefined {
    const content = this.files.get(path)?.content;
    return typeof content === 'string' ? content : content?.toString('utf8');
  }

  readBytes(path: string): Buffer | undefined {
    const content = this.files.get(path)?.content;
    return typeof content === 'string' ? Buffer.from(content) : content;
  }

  write(path: string, content: string | Buffer, append = false): void {
    const previous = append ? this.files.get(path)?.content : undefined;
    const joined =
      previous === undefined
        ? content
        : typeof previous === 'string' && typeof content === 'string'
          ? previous + content
          : Buffer.concat([Buffer.from(previous), Buffer.from(content)]);
    this.files.set(path, { content: joined, modifiedMs: this.now() });
  }

  /** When the file was last written; undefined for a directory or a missing path. */
  modifiedMs(path: string): number | undefined {
    return this.files.get(path)?.modifiedMs;
  }

  /** Sets a file's modification time (`touch -d`, scp -p, SFTP setstat). */
  setModified(path: string, ms: number): void {
    const file = this.files.get(path);
    if (file) file.modifiedMs = ms;
  }

  remove(path: string): boolean {
    return this.files.delete(path);
  }

  /** Moves a file (not a directory) to a new path. */
  rename(from: string, to: string): boolean {
    const file = this.files.get(from);
    if (!file) return false;
    this.files.delete(from);
    this.files.set(to, file);
    return true;
  }

  isDirectory(path: string): boolean {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    return path === '/' || this.directories.has(path) || [...this.files.keys()].some((p) => p.startsWith(prefix));
  }

  /** Names directly inside a directory, sorted. */
  list(path: string): string[] {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const names = new Set<string>();
    for (const p of [...this.files.keys(), ...this.directories])
      if (p.startsWith(prefix) && p !== prefix) names.add(p.slice(prefix.length).split('/')[0]);
    return [...names].sort();
  }

  /** Empty directories (homes, `mkdir`) that hold no file yet. */
  readonly directories = new Set<string>();
}

export interface ShellSessionOptions {
  user: ShellUser;
  hostname: () => string;
  commands: Record<string, Command>;
  dialect: ShellDialect;
  files: FileTree;
  /** Finds another user by name (for `sudo -u`, `id name`); root must be known. */
  userNamed: (name: string) => ShellUser | undefined;
  /** Extra variables (PATH, SHELL, ...). */
  variables?: Record<string, string>;
}

const fill = (template: string, values: Record<string, string>): string =>
  template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);

export class ShellSession {
  user: ShellUser;
  cwd: string;
  lastStatus = 0;
  readonly variables: Map<string, string>;

  constructor(readonly options: ShellSessionOptions) {
    this.user = options.user;
    this.cwd = options.user.home;
    this.variables = new Map(
      Object.entries({ HOME: options.user.home, USER: options.user.name, LOGNAME: options.user.name, ...options.variables }),
    );
  }

  get hostname(): string {
    return this.options.hostname();
  }

  get files(): FileTree {
    return this.options.files;
  }

  /** A path made absolute against the working directory, with `~`, `.` and `..` resolved. */
  resolve(path: string): string {
    return normalizePath(path.startsWith('~') ? this.user.home + path.slice(1) : path.startsWith('/') ? path : `${this.cwd}/${path}`);
  }

  /** Runs one command line: the output (with \n line ends) and the status of its last pipeline. */
  run(line: string): { output: string; action?: ShellAction } {
    let pipelines: Pipeline[];
    try {
      pipelines = parseLine(line);
    } catch (err) {
      if (!(err instanceof ShellSyntaxError)) throw err;
      this.lastStatus = 2;
      return { output: `${fill(this.options.dialect.syntaxError, { shell: this.options.dialect.name, message: err.message })}\n` };
    }
    let output = '';
    for (const pipeline of pipelines) {
      if (pipeline.after === '&&' && this.lastStatus !== 0) continue;
      if (pipeline.after === '||' && this.lastStatus === 0) continue;
      let stdin = '';
      for (const [index, command] of pipeline.commands.entries()) {
        const last = index === pipeline.commands.length - 1;
        const result = this.execute(command, stdin);
        output += result.stderr ?? '';
        if (last) output += result.stdout ?? '';
        stdin = result.stdout ?? '';
        this.lastStatus = result.exitCode;
        if (result.action) return { output, action: result.action };
      }
    }
    return { output };
  }

  /** Runs one parsed command, its variables expanded now. */
  private execute(command: SimpleCommand, stdin: string): CommandResult {
    const lookup = (name: string): string => this.variable(name);
    const result = this.invoke(expandWords(command.words, lookup), stdin);
    if (command.redirect && result.stdout !== undefined) {
      const [path] = expandWords([command.redirect.path], lookup);
      this.files.write(this.resolve(path), result.stdout, command.redirect.append);
      return { ...result, stdout: undefined };
    }
    return result;
  }

  /** Runs one command given its words, with this session's table (also what `sudo` calls). */
  invoke(argv: string[], stdin = ''): CommandResult {
    const [name, ...rest] = argv;
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(name);
    if (assignment && rest.length === 0) {
      this.variables.set(assignment[1], assignment[2]);
      return { exitCode: 0 };
    }
    const handler = this.options.commands[name.split('/').pop() ?? name];
    if (!handler)
      return { stderr: `${fill(this.options.dialect.notFound, { shell: this.options.dialect.name, command: name })}\n`, exitCode: 127 };
    return this.guarded(name, () => handler(argv, this, stdin));
  }

  /** A command's result; a fault in a simulated command fails that command (as a crashing program would), not the host. */
  private guarded(name: string, run: () => CommandResult): CommandResult {
    try {
      return run();
    } catch (err) {
      return { stderr: `${name}: ${(err as Error).message}\n`, exitCode: 1 };
    }
  }

  /** A dialect message with its placeholders filled in (the shell's name is `{shell}`), ending in a newline. */
  message(key: string, values: Record<string, string> = {}): string {
    const template = this.options.dialect.messages[key] ?? key;
    return `${fill(template, { shell: this.options.dialect.name, user: this.user.name, ...values })}\n`;
  }

  private variable(name: string): string {
    if (name === '?') return String(this.lastStatus);
    if (name === '$') return '1234';
    if (name === '#') return '0';
    if (name === '0') return this.options.dialect.name;
    return this.variables.get(name) ?? '';
  }
}
