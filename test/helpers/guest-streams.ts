/**
 * Clients of a VMI's streams as a user's tools open them: the serial console
 * and port-forward tunnel over a real WebSocket (`ws`, subprotocol
 * plain.kubevirt.io, the admin's bearer token), an expect-style reader of the
 * console's bytes, and an ssh2 client over the port-forward tunnel.
 */
import ssh2 from 'ssh2';
import WebSocket, { createWebSocketStream } from 'ws';
import type { RunningEmulator } from '../../src/emulator.js';

const subresources = (namespace: string) => `/apis/subresources.kubevirt.io/v1/namespaces/${namespace}`;

export function openStream(emulator: RunningEmulator, path: string): Promise<WebSocket> {
  const url = emulator.url.replace(/^http/, 'ws') + path;
  const socket = new WebSocket(url, ['plain.kubevirt.io'], {
    headers: { Authorization: `Bearer ${emulator.adminToken}` },
    rejectUnauthorized: false,
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
    });
    socket.once('error', reject);
  });
}

/** A terminal's byte stream both ways: the serial console's WebSocket or an SSH shell channel. */
interface TerminalChannel {
  onData(listener: (data: Buffer) => void): void;
  onClose(listener: () => void): void;
  write(text: string): void;
  close(): void;
}

/**
 * A terminal (the serial console, an SSH shell) as text, with `expect` waiting (in real time) for a pattern in what
 * arrived since the last match; `transcript` is everything received so far.
 */
export class ConsoleSession {
  private text = '';
  private consumed = 0;
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(private readonly channel: TerminalChannel) {
    channel.onData((data) => {
      this.text += data.toString('utf8');
      for (const wake of this.waiters.splice(0)) wake();
    });
    channel.onClose(() => {
      this.closed = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(emulator: RunningEmulator, vmi: string, namespace = 'default'): Promise<ConsoleSession> {
    const socket = await openStream(emulator, `${subresources(namespace)}/virtualmachineinstances/${vmi}/console`);
    return new ConsoleSession({
      onData: (listener) => socket.on('message', listener),
      onClose: (listener) => socket.on('close', listener),
      write: (text) => socket.send(Buffer.from(text)),
      close: () => socket.close(),
    });
  }

  /** An interactive shell on a pty of an SSH connection. */
  static sshShell(client: ssh2.Client): Promise<ConsoleSession> {
    return new Promise((resolve, reject) =>
      client.shell({ term: 'xterm' }, (err, channel) => {
        if (err) return reject(err);
        resolve(
          new ConsoleSession({
            onData: (listener) => channel.on('data', listener),
            onClose: (listener) => channel.on('close', listener),
            write: (text) => channel.write(text),
            close: () => channel.end(),
          }),
        );
      }),
    );
  }

  get transcript(): string {
    return this.text;
  }

  send(text: string): void {
    this.channel.write(text);
  }

  /** Everything received since the last match up to and including the match of `pattern`. */
  async expect(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.consumed);
      const match = pattern.exec(rest);
      if (match) {
        this.consumed += match.index + match[0].length;
        return rest.slice(0, match.index + match[0].length);
      }
      if (this.closed || Date.now() > deadline) throw new Error(`console: no ${pattern} in ${JSON.stringify(rest)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Runs a command at a shell prompt ending in `prompt`, answering its output (without the echoed command line). */
  async run(command: string, prompt: RegExp): Promise<string> {
    this.send(`${command}\r`);
    const output = await this.expect(prompt);
    return output.replace(prompt, '').split('\r\n').slice(1).join('\n');
  }

  close(): void {
    this.channel.close();
  }
}

/** An ssh2 client connected to port 22 of the VMI through the port-forward subresource. */
export async function sshToVmi(
  emulator: RunningEmulator,
  vmi: string,
  auth: { username: string; password?: string; privateKey?: string },
  namespace = 'default',
): Promise<ssh2.Client> {
  const socket = await openStream(emulator, `${subresources(namespace)}/virtualmachineinstances/${vmi}/portforward/22`);
  const client = new ssh2.Client();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ sock: createWebSocketStream(socket) as never, ...auth, readyTimeout: 20_000 });
  });
}

/** An ssh2 client connected to a local TCP port (such as one `kubectl port-forward` listens on). */
export function sshOverTcp(port: number, auth: { username: string; password?: string; privateKey?: string }): Promise<ssh2.Client> {
  const client = new ssh2.Client();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, ...auth, readyTimeout: 20_000 });
  });
}

/** Runs one command over SSH: its output and exit code. */
export function sshExec(client: ssh2.Client, command: string): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      let stdout = '';
      let code = -1;
      channel.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      channel.stderr.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      channel.on('exit', (c: number) => (code = c));
      channel.on('close', () => resolve({ stdout, code }));
    });
  });
}

/** Reads an SSH channel's bytes on demand (a byte, a line, a count), as a protocol client does. */
class ChannelReader {
  private bytes = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(channel: ssh2.ClientChannel) {
    channel.on('data', (data: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, data]);
      this.wake?.();
    });
    channel.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  async take(count: number): Promise<Buffer> {
    while (this.bytes.length < count) {
      if (this.ended) throw new Error(`scp: the channel closed after ${JSON.stringify(this.bytes.toString())}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const taken = this.bytes.subarray(0, count);
    this.bytes = this.bytes.subarray(count);
    return taken;
  }

  async line(): Promise<string> {
    let line = '';
    for (let byte = await this.take(1); byte[0] !== 0x0a; byte = await this.take(1)) line += byte.toString('latin1');
    return line;
  }

  /** A zero byte (OK), or the error record that came instead, thrown. */
  async ok(): Promise<void> {
    const answer = (await this.take(1))[0];
    if (answer !== 0) throw new Error((await this.line()).trim());
  }
}

function execChannel(client: ssh2.Client, command: string): Promise<ssh2.ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, (err, channel) => (err ? reject(err) : resolve(channel))));
}

/**
 * What `virtctl scp <local> vmi/x:<target>` does natively: runs `scp -q -t '<target>'` and sends one file named
 * `name` (the scp protocol as the client side speaks it: record, zero byte, data, zero byte, each acknowledged).
 */
export async function scpSend(client: ssh2.Client, target: string, name: string, bytes: Buffer): Promise<void> {
  const channel = await execChannel(client, `scp -q -t '${target}'`);
  const reader = new ChannelReader(channel);
  try {
    await reader.ok();
    channel.write(`C0644 ${bytes.length} ${name}\n`);
    await reader.ok();
    channel.write(Buffer.concat([bytes, Buffer.from([0])]));
    await reader.ok();
    channel.write('E\n');
    await reader.ok();
  } finally {
    channel.end();
  }
}

/** What `virtctl scp vmi/x:<path> <local>` does natively: runs `scp -q -f '<path>'` and receives one file. */
export async function scpReceive(client: ssh2.Client, path: string): Promise<{ record: string; bytes: Buffer }> {
  const channel = await execChannel(client, `scp -q -f '${path}'`);
  const reader = new ChannelReader(channel);
  try {
    channel.write(Buffer.from([0]));
    const first = await reader.take(1);
    const record = (await reader.line()).trim();
    if (first[0] !== 0x43 /* C */) throw new Error(record);
    channel.write(Buffer.from([0]));
    const bytes = await reader.take(Number(record.split(' ')[1]));
    await reader.ok();
    channel.write(Buffer.from([0]));
    return { record: `C${record}`, bytes };
  } finally {
    channel.end();
  }
}
