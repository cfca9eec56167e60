/**
 * The guest's end of OpenSSH's scp protocol, what `scp -t` (sink: receive
 * files) and `scp -f` (source: send files) do when a client such as
 * `virtctl scp` runs them over an SSH exec channel: one-line control records
 * (`C<mode> <size> <name>`, `D<mode> 0 <name>`, `E`, `T<mtime> 0 <atime> 0`),
 * each answered by a zero byte, or by 0x01 and "scp: <path>: <error>" when it
 * fails; file data follows its C record and ends in a zero byte.
 */
import { ShellSyntaxError, expandWords, parseLine } from '../../../simulation/shell/parse.js';
import { FILE_ERROR_TEXT, type FileError, type UserFiles } from './user-files.js';

export interface ScpRequest {
  /** sink: -t, the client sends; source: -f, the guest sends. */
  mode: 'sink' | 'source';
  recursive: boolean;
  preserve: boolean;
  path: string;
}

/** The channel the protocol runs on: bytes to the client, and the exit status that ends it. */
export interface ScpChannel {
  write(bytes: Buffer): void;
  exit(status: number): void;
}

const OK = Buffer.from([0]);
const RECORD_LIMIT = 4096;

/** The request if the command line runs scp in sink or source mode (optionally under sudo), else undefined. */
export function parseScpCommand(command: string): (ScpRequest & { sudo: boolean }) | undefined {
  let words: string[];
  try {
    const pipelines = parseLine(command);
    if (pipelines.length !== 1 || pipelines[0].commands.length !== 1) return undefined;
    words = expandWords(pipelines[0].commands[0].words, () => '');
  } catch (err) {
    if (err instanceof ShellSyntaxError) return undefined;
    throw err;
  }
  const sudo = words[0] === 'sudo';
  if (sudo) words.shift();
  if (words.shift()?.split('/').pop() !== 'scp') return undefined;
  const request = { sudo, mode: undefined as ScpRequest['mode'] | undefined, recursive: false, preserve: false, path: '' };
  for (const word of words) {
    if (!word.startsWith('-')) request.path = word;
    else
      for (const flag of word.slice(1)) {
        if (flag === 't') request.mode = 'sink';
        else if (flag === 'f') request.mode = 'source';
        else if (flag === 'r') request.recursive = true;
        else if (flag === 'p') request.preserve = true;
      }
  }
  return request.mode && request.path ? { ...request, mode: request.mode } : undefined;
}

/** Runs one scp request against the user's files: feed it the client's bytes, then tell it when they end. */
export abstract class ScpEndpoint {
  protected input = Buffer.alloc(0);
  protected failed = false;
  private done = false;

  constructor(
    protected readonly request: ScpRequest,
    protected readonly files: UserFiles,
    protected readonly channel: ScpChannel,
  ) {}

  static start(request: ScpRequest, files: UserFiles, channel: ScpChannel): ScpEndpoint {
    const endpoint = request.mode === 'sink' ? new ScpSink(request, files, channel) : new ScpSource(request, files, channel);
    endpoint.begin();
    return endpoint;
  }

  receive(data: Buffer): void {
    if (this.done) return;
    this.input = Buffer.concat([this.input, data]);
    this.consume();
  }

  /** The client closed its side: scp exits with 1 if anything failed. */
  endOfInput(): void {
    this.finish();
  }

  /** What the protocol does first: the sink says it is ready, the source checks its path. */
  abstract begin(): void;
  protected abstract consume(): void;

  protected fail(path: string, error: FileError | string): void {
    this.failed = true;
    const text = error in FILE_ERROR_TEXT ? FILE_ERROR_TEXT[error as FileError] : error;
    this.channel.write(Buffer.from(`\x01scp: ${path}: ${text}\n`));
  }

  protected finish(): void {
    if (this.done) return;
    this.done = true;
    this.channel.exit(this.failed ? 1 : 0);
  }
}

/** `scp -t <path>`: files (and with -r directories) arrive into path, or as path when it is not a directory. */
class ScpSink extends ScpEndpoint {
  /** Directories entered by D records, the target first. */
  private readonly directories: string[] = [];
  private pendingFile: { path: string; size: number } | undefined;
  private pendingModifiedMs: number | undefined;

  begin(): void {
    this.directories.push(this.files.resolve(this.request.path));
    this.channel.write(OK);
  }

  protected consume(): void {
    for (;;) {
      if (this.pendingFile) {
        const { path, size } = this.pendingFile;
        if (this.input.length < size + 1) return;
        const error = this.files.write(path, this.input.subarray(0, size));
        if (!error && this.pendingModifiedMs !== undefined) this.files.setModified(path, this.pendingModifiedMs);
        this.input = this.input.subarray(size + 1);
        this.pendingFile = undefined;
        this.pendingModifiedMs = undefined;
        if (error) this.fail(path, error);
        else this.channel.write(OK);
        continue;
      }
      const end = this.input.indexOf(0x0a);
      if (end < 0) {
        if (this.input.length > RECORD_LIMIT) this.protocolError('record too long');
        return;
      }
      const record = this.input.subarray(0, end).toString('utf8');
      this.input = this.input.subarray(end + 1);
      this.record(record);
    }
  }

  private record(record: string): void {
    const kind = record[0];
    if (kind === '\x01' || kind === '\x02') return this.finish();
    if (kind === 'E') {
      if (this.directories.length > 1) this.directories.pop();
      return this.channel.write(OK);
    }
    if (kind === 'T') {
      const times = /^T(\d+) \d+ (\d+) \d+$/.exec(record);
      if (!times) return this.protocolError('mtime.sec not delimited');
      this.pendingModifiedMs = Number(times[1]) * 1000;
      return this.channel.write(OK);
    }
    const entry = /^([CD])([0-7]{4}) (\d+) ([^/]+)$/.exec(record);
    if (!entry || entry[4] === '..') return this.protocolError(`unexpected <newline>`);
    const [, type, , size, name] = entry;
    const target = this.directories.at(-1)!;
    const targetIsDirectory = this.files.stat(target)?.directory === true;
    const path = targetIsDirectory ? `${target === '/' ? '' : target}/${name}` : target;
    if (type === 'C') {
      this.pendingFile = { path, size: Number(size) };
      return this.channel.write(OK);
    }
    if (!this.request.recursive) return this.protocolError('received directory without -r');
    // Directories keep no times here: a T record before D is used up by it.
    this.pendingModifiedMs = undefined;
    const error = this.files.stat(path)?.directory ? undefined : this.files.mkdir(path);
    if (error) return this.fail(path, error);
    this.directories.push(path);
    this.channel.write(OK);
  }

  private protocolError(message: string): void {
    this.failed = true;
    this.channel.write(Buffer.from(`\x02scp: protocol error: ${message}\n`));
    this.finish();
  }
}

/** `scp -f <path>`: the file (with -r, the directory tree) goes to the client, each record once the last is acknowledged. */
class ScpSource extends ScpEndpoint {
  private readonly outgoing: Buffer[] = [];

  begin(): void {
    const path = this.files.resolve(this.request.path);
    const stat = this.files.stat(path);
    if (!stat || (stat.directory && !this.request.recursive)) {
      this.fail(this.request.path, stat ? 'not a regular file' : 'ENOENT');
      return this.finish();
    }
    this.queue(path, path.split('/').pop() || '/');
  }

  protected consume(): void {
    while (this.input.length > 0) {
      const answer = this.input[0];
      if (answer !== 0) return this.finish();
      this.input = this.input.subarray(1);
      const next = this.outgoing.shift();
      if (!next) return this.finish();
      this.channel.write(next);
    }
  }

  private queue(path: string, name: string): void {
    const stat = this.files.stat(path)!;
    if (this.request.preserve) {
      const seconds = Math.floor(stat.modifiedMs / 1000);
      this.outgoing.push(Buffer.from(`T${seconds} 0 ${seconds} 0\n`));
    }
    const mode = (stat.mode & 0o7777).toString(8).padStart(4, '0');
    if (!stat.directory) {
      const bytes = this.files.read(path) as Buffer;
      this.outgoing.push(Buffer.from(`C${mode} ${bytes.length} ${name}\n`), Buffer.concat([bytes, OK]));
      return;
    }
    this.outgoing.push(Buffer.from(`D${mode} 0 ${name}\n`));
    for (const child of this.files.list(path) as string[]) this.queue(`${path === '/' ? '' : path}/${child}`, child);
    this.outgoing.push(Buffer.from('E\n'));
  }
}
