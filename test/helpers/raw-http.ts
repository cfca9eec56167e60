/**
 * Raw HTTP against an emulator started with `insecureHttp`: JSON answers,
 * watch streams read event by event, and sockets that misbehave (stop
 * reading, send slowly) as hostile clients do.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface RawAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<RawAnswer<T>> {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

export interface WatchEventJson {
  type: string;
  object: { kind?: string; code?: number; reason?: string; message?: string; metadata?: { name?: string; resourceVersion?: string } };
}

/** A watch stream: its HTTP status, and its events as they arrive (keep-alive newlines skipped). */
export class WatchStream {
  readonly events: WatchEventJson[] = [];
  ended = false;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly status: number,
    private readonly controller: AbortController,
  ) {}

  static async open(url: string): Promise<WatchStream> {
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    const stream = new WatchStream(response.status, controller);
    void stream.read(response);
    return stream;
  }

  private async read(response: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) this.events.push(JSON.parse(line) as WatchEventJson);
        }
        this.wake();
      }
    } catch {
      // Aborted by close(), or cut by the server: either way the stream is over.
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves once `done()` holds, or false after `timeoutMs`. */
  async until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  close(): void {
    this.controller.abort();
  }
}

/** Opens a TCP connection and writes `request` (raw bytes of HTTP/1.1); `paused` stops reading once the response has started. */
export function rawConnection(url: string, request: string, options: { paused?: boolean; tls?: tls.ConnectionOptions } = {}) {
  const { hostname, port } = new URL(url);
  const socket = options.tls
    ? tls.connect({ host: hostname, port: Number(port), servername: hostname, ...options.tls })
    : net.connect(Number(port), hostname);
  /** `tail`: the last bytes received, where a chunked response's end ("0\r\n\r\n") shows. */
  const state = { received: 0, closed: false, closedAt: 0, text: '', tail: '' };
  let reading = !options.paused;
  socket.on(options.tls ? 'secureConnect' : 'connect', () => socket.write(request));
  socket.on('data', (chunk: Buffer) => {
    state.received += chunk.length;
    if (state.text.length < 4096) state.text += chunk.toString('latin1');
    state.tail = (state.tail + chunk.toString('latin1')).slice(-16);
    if (!reading) socket.pause();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    state.closed = true;
    state.closedAt = Date.now();
  });
  const resume = () => {
    reading = true;
    socket.resume();
  };
  /** The connection is closed, or the chunked response on it has ended (the connection kept alive for another request). */
  const responseEnded = () => state.closed || state.tail.endsWith('\r\n0\r\n\r\n');
  return { socket, state, resume, responseEnded };
}
