/**
 * The `console` step: a VMI's serial console over virt-api's WebSocket (as
 * `virtctl console` opens it), kept open across the steps of a scenario, one
 * per VMI. A step types text into it and/or waits, on the scenario's clock,
 * for a pattern in what the guest printed since the last match.
 */
import WebSocket from 'ws';
import type { ClusterApi } from './cluster-api.js';
import { StepFailure } from './assertions.js';
import { formatDuration, parseDuration } from '../runtime/duration.js';
import type { ScenarioTime } from './sim-time.js';
import type { ConsoleStep } from './types.js';

const DEFAULT_TIMEOUT = '30s';
/** Simulated time between looks at the output while waiting. */
const POLL_MS = 100;

class SerialStream {
  private output = '';
  private consumed = 0;
  closed = false;

  constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.output += data.toString('utf8');
    });
    socket.on('close', () => {
      this.closed = true;
    });
  }

  send(text: string): void {
    this.socket.send(Buffer.from(text));
  }

  /** The output up to the end of the first match of `pattern` after the last match, or undefined if there is none yet. */
  take(pattern: RegExp): string | undefined {
    const rest = this.output.slice(this.consumed);
    const match = pattern.exec(rest);
    if (!match) return undefined;
    this.consumed += match.index + match[0].length;
    return rest.slice(0, match.index + match[0].length);
  }

  pending(): string {
    return this.output.slice(this.consumed);
  }

  close(): void {
    this.socket.close();
  }
}

export class Consoles {
  private readonly streams = new Map<string, SerialStream>();

  constructor(private readonly api: ClusterApi) {}

  async run(step: ConsoleStep, time: ScenarioTime): Promise<void> {
    const stream = await this.streamOf(step.namespace ?? 'default', step.vmi);
    // Enter is a carriage return on a terminal; scenarios write it as \n.
    if (step.send !== undefined) stream.send(step.send.replace(/\r?\n/g, '\r'));
    if (step.expect === undefined) return;
    const pattern = new RegExp(step.expect);
    const timeoutMs = parseDuration(step.timeout ?? DEFAULT_TIMEOUT);
    const startMs = time.nowMs();
    for (;;) {
      if (stream.take(pattern) !== undefined) return;
      const elapsed = time.nowMs() - startMs;
      if (stream.closed || elapsed >= timeoutMs)
        throw new StepFailure(
          `${stream.closed ? 'the console closed' : `timed out after ${formatDuration(timeoutMs)}`} waiting for /${step.expect}/ on the console of ${step.vmi}`,
          { path: `vmi/${step.vmi} console`, expected: `matches /${step.expect}/`, actual: stream.pending() },
        );
      // The guest's bytes arrive over a real socket: give the event loop a real turn as well as simulated time.
      await new Promise((resolve) => setTimeout(resolve, 2));
      await time.advance(Math.min(POLL_MS, timeoutMs - elapsed));
    }
  }

  closeAll(): void {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
  }

  private async streamOf(namespace: string, vmi: string): Promise<SerialStream> {
    const key = `${namespace}/${vmi}`;
    const open = this.streams.get(key);
    if (open && !open.closed) return open;
    const stream = new SerialStream(
      await this.connect(`/apis/subresources.kubevirt.io/v1/namespaces/${namespace}/virtualmachineinstances/${vmi}/console`),
    );
    this.streams.set(key, stream);
    return stream;
  }

  private connect(path: string): Promise<WebSocket> {
    const { server, token, cert, key, ca, insecure } = this.api.connection;
    const url = new URL(path, server);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, ['plain.kubevirt.io'], {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(insecure ? { rejectUnauthorized: false } : { ca }),
      ...(cert && key ? { cert, key } : {}),
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => reject(new StepFailure(`the console of ${path} answered HTTP ${res.statusCode}: ${body.slice(0, 300)}`)));
      });
      socket.once('error', reject);
    });
  }
}
