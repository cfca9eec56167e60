/**
 * What the authentication e2e tests share: raw HTTPS with chosen
 * credentials only, kube's 401 body, and an emulator fixture whose kubectl
 * can act with a bearer token alone.
 */
import { request } from 'node:https';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { withEmulator, type TeardownHost } from '../../helpers/cluster.js';
import type { EmulatorOptions } from '../../../src/emulator.js';

export interface Answer {
  status: number;
  body: unknown;
}

export interface Credentials {
  token?: string;
  cert?: string;
  key?: string;
}

/** One HTTPS request trusting the emulator's CA, with the given credentials only. */
export function call(
  url: string,
  ca: string,
  method: string,
  path: string,
  credentials: Credentials = {},
  body?: unknown,
  extraHeaders = {},
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      {
        method,
        ca,
        cert: credentials.cert,
        key: credentials.key,
        agent: false,
        headers: {
          accept: 'application/json',
          ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...extraHeaders,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const unauthorizedStatus = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};

export interface TestHost extends TeardownHost {
  testdir(): string;
  equal(found: unknown, wanted: unknown, message?: string): void;
}

/** An emulator, its CA, kubectl as the admin (`ok` fails the test on a non-zero exit), and kubectl with only a token (`asToken`). */
export async function authFixture(t: TestHost, options: EmulatorOptions = {}) {
  const fixture = await withEmulator(t, options);
  const kubeconfig = parse(await readFile(fixture.kubeconfigPath, 'utf8'));
  const ca = Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  const dir = t.testdir();
  let tokenFiles = 0;
  // The same cluster with only a token: with the admin certificate beside it, the certificate would win (x509 comes first).
  const asToken = async (token: string): Promise<Record<string, string>> => {
    const path = join(dir, `token-${++tokenFiles}`);
    await writeFile(path, JSON.stringify({ ...kubeconfig, users: [{ name: kubeconfig.users[0].name, user: { token } }] }));
    return { KUBECONFIG: path };
  };
  const whoami = async (env: Record<string, string> = {}) => {
    const result = await fixture.kubectl(['auth', 'whoami', '-o', 'json'], { env });
    t.equal(result.code, 0, result.stderr);
    return (
      JSON.parse(result.stdout) as {
        status: { userInfo: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> } };
      }
    ).status.userInfo;
  };
  const ok = async (args: string[], input?: string) => {
    const result = await fixture.kubectl(args, { input });
    t.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };
  const api = (method: string, path: string, credentials: Credentials = {}, body?: unknown, headers = {}) =>
    call(fixture.emulator.url, ca, method, path, credentials, body, headers);
  return { ...fixture, kubeconfig, ca, dir, asToken, whoami, ok, api };
}
