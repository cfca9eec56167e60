/**
 * Raw HTTPS to an emulator with its kubeconfig's CA and credentials (the admin's
 * client certificate, or a token): any method,
 * path (sent exactly as given, malformed escapes included), headers and body,
 * and requests written byte for byte on a TLS socket for what an HTTP client
 * library refuses to send.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { parse } from 'yaml';

export interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
  /** The body as received (binary answers such as vnc/screenshot's PNG). */
  bytes: Buffer;
  /** The body parsed as JSON, undefined when it is not JSON. */
  json: {
    kind?: string;
    code?: number;
    reason?: string;
    message?: string;
    details?: { causes?: { reason?: string; field?: string; message?: string }[] };
    items?: unknown[];
  } & Record<string, unknown>;
}

export interface RawClient {
  send(method: string, path: string, options?: { body?: string | Buffer | object; headers?: Record<string, string> }): Promise<RawAnswer>;
  /** Writes `request` on a fresh TLS connection and returns what comes back before the server closes it. */
  sendBytes(request: string): Promise<RawAnswer>;
}

export function rawClient(url: string, kubeconfigPath: string): RawClient {
  const kubeconfig = parse(readFileSync(kubeconfigPath, 'utf8'));
  const ca = Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64');
  const user = kubeconfig.users[0].user;
  const token: string | undefined = user.token;
  const fromData = (field: string): Buffer | undefined => (user[field] ? Buffer.from(user[field], 'base64') : undefined);
  const credentials = { cert: fromData('client-certificate-data'), key: fromData('client-key-data') };
  const authorization: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const { hostname, port } = new URL(url);
  const answer = (status: number, contentType: string, text: string, bytes = Buffer.from(text)): RawAnswer => {
    let json: RawAnswer['json'] = {};
    try {
      json = JSON.parse(text);
    } catch {
      json = {};
    }
    return { status, contentType, text, bytes, json };
  };
  return {
    send: (method, path, options = {}) =>
      new Promise((resolve, reject) => {
        const body =
          options.body === undefined || Buffer.isBuffer(options.body) || typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body);
        // An explicit length: Node sends a DELETE's body without one otherwise, and the server reads it as the next request.
        const length: Record<string, string> = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
        const headers = { ...authorization, 'content-type': 'application/json', ...length, ...options.headers };
        const req = https.request({ hostname, port, method, path, headers, ca, ...credentials }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve(
              answer(res.statusCode ?? 0, res.headers['content-type'] ?? '', Buffer.concat(chunks).toString('utf8'), Buffer.concat(chunks)),
            ),
          );
        });
        req.on('error', reject);
        req.end(body);
      }),
    sendBytes: (request) =>
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: hostname, port: Number(port), ca, servername: hostname, ...credentials });
        const chunks: Buffer[] = [];
        socket.on('secureConnect', () => socket.write(request));
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head, ...rest] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
          resolve(
            answer(
              Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
              /content-type: ([^\r\n]*)/i.exec(head)?.[1] ?? '',
              rest.join('\r\n\r\n'),
            ),
          );
        });
      }),
  };
}
