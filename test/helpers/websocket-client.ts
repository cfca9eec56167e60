/**
 * A WebSocket client (RFC 6455) over HTTPS with an emulator's kubeconfig
 * credentials, for the streaming subresources (console, vnc, pods/exec):
 * the opening handshake with chosen subprotocols, masked frames out, and the
 * data messages received, in order. A refused upgrade resolves with its
 * status and body instead.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { parse } from 'yaml';
import { FrameDecoder, Opcode, encodeFrame } from '../../src/kubevirt/api/subresources/websocket.js';

export interface WebSocketClient {
  status: number;
  /** The response headers (the chosen subprotocol, or a refusal's content type). */
  headers: Record<string, string | string[] | undefined>;
  /** A refused upgrade's body. */
  body: string;
  send(data: Buffer | string): void;
  /** The next data message, waiting up to `timeoutMs`. */
  next(timeoutMs?: number): Promise<Buffer>;
  /** The close frame's code and reason once the server closed, undefined while open. */
  closed(): { code: number; reason: string } | undefined;
  /** Resolves when the connection ends. */
  ended: Promise<void>;
  close(): void;
}

export function openWebSocket(
  url: string,
  kubeconfigPath: string,
  path: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<WebSocketClient> {
  const kubeconfig = parse(readFileSync(kubeconfigPath, 'utf8'));
  const ca = Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64');
  const user = kubeconfig.users[0].user;
  const fromData = (field: string): Buffer | undefined => (user[field] ? Buffer.from(user[field], 'base64') : undefined);
  const { hostname, port } = new URL(url);
  const headers: Record<string, string> = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    ...(options.protocols ? { 'Sec-WebSocket-Protocol': options.protocols.join(', ') } : {}),
    ...(user.token ? { Authorization: `Bearer ${user.token}` } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = https.request({
      hostname,
      port,
      path,
      headers,
      ca,
      cert: fromData('client-certificate-data'),
      key: fromData('client-key-data'),
    });
    req.on('upgrade', (res, socket: Duplex, head: Buffer) => resolve(connected(res.statusCode ?? 0, res.headers, socket, head)));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(refused(res.statusCode ?? 0, res.headers, body)));
    });
    req.on('error', reject);
    req.end();
  });
}

function refused(status: number, headers: WebSocketClient['headers'], body: string): WebSocketClient {
  const fail = () => {
    throw new Error(`the upgrade was refused (${status}): ${body}`);
  };
  return { status, headers, body, send: fail, next: async () => fail(), closed: () => undefined, ended: Promise.resolve(), close() {} };
}

function connected(status: number, headers: WebSocketClient['headers'], socket: Duplex, head: Buffer): WebSocketClient {
  const decoder = new FrameDecoder();
  const messages: Buffer[] = [];
  const waiters: Array<() => void> = [];
  let closeFrame: { code: number; reason: string } | undefined;
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  const take = (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.opcode === Opcode.Close) {
        closeFrame = {
          code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005,
          reason: frame.payload.subarray(2).toString(),
        };
      } else if (frame.opcode === Opcode.Binary || frame.opcode === Opcode.Text) {
        messages.push(frame.payload);
      }
    }
    wake();
  };
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  void ended.then(wake);
  take(head);
  socket.on('data', take);
  socket.on('error', () => undefined);
  let open = true;
  socket.on('close', () => (open = false));
  return {
    status,
    headers,
    body: '',
    send: (data) => socket.write(encodeFrame(Opcode.Binary, Buffer.from(data), randomBytes(4))),
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length === 0) {
        if (!open) throw new Error(`the connection ended without a message (close ${JSON.stringify(closeFrame)})`);
        if (Date.now() > deadline) throw new Error('no message in time');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return messages.shift()!;
    },
    closed: () => closeFrame,
    ended,
    close: () => {
      socket.write(encodeFrame(Opcode.Close, Buffer.from([0x03, 0xe8]), randomBytes(4)));
      socket.end();
    },
  };
}
