/**
 * kubeconfig files for the emulator: a standalone file, or entries merged
 * into the user's kubeconfig (as `kind create cluster` does), in the format
 * kubectl's clientcmd writes.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';

export const DEFAULT_CONTEXT_NAME = 'kubevirt-emulator';

export interface KubeconfigOptions {
  /** The API server URL, https://... or http://... */
  server: string;
  /** The CA that signed the serving certificate; ignored when `insecure`. */
  caPem?: string;
  /** Bearer token. kubectl over https without credentials prompts for a username. */
  token?: string;
  /** A client certificate and its key (PEM), as kind's kubeconfig carries kubernetes-admin's. */
  clientCertificate?: { certPem: string; keyPem: string };
  /** Names the cluster, user and context alike. Default "kubevirt-emulator". */
  contextName?: string;
  /** Names the user entry when it differs from the context's name. */
  userName?: string;
  /** Skip server certificate verification. Always set for http://, which @kubernetes/client-node otherwise refuses. */
  insecure?: boolean;
}

interface NamedEntry {
  name: string;
  [field: string]: unknown;
}

interface KubeconfigEntries {
  cluster: NamedEntry;
  user: NamedEntry;
  context: NamedEntry;
}

function entriesFor(options: KubeconfigOptions): KubeconfigEntries {
  const name = options.contextName ?? DEFAULT_CONTEXT_NAME;
  const insecure = options.insecure === true || new URL(options.server).protocol === 'http:';
  // kubectl rejects a CA together with insecure-skip-tls-verify, so it is one or the other.
  const trust = insecure
    ? { 'insecure-skip-tls-verify': true }
    : options.caPem !== undefined
      ? { 'certificate-authority-data': Buffer.from(options.caPem).toString('base64') }
      : {};
  const user = options.userName ?? name;
  const certificate = options.clientCertificate;
  const credentials = {
    ...(certificate
      ? {
          'client-certificate-data': Buffer.from(certificate.certPem).toString('base64'),
          'client-key-data': Buffer.from(certificate.keyPem).toString('base64'),
        }
      : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  };
  return {
    cluster: { name, cluster: { server: options.server, ...trust } },
    user: { name: user, user: credentials },
    context: { name, context: { cluster: name, user } },
  };
}

/** The kubeconfig YAML holding only the emulator's cluster, user and context. */
export function buildKubeconfig(options: KubeconfigOptions): string {
  return stringify(withEntries({}, entriesFor(options)));
}

/**
 * The file kubectl would write to: with KUBECONFIG set, its first existing
 * file (or its last entry when none exists), as clientcmd and kind choose;
 * otherwise ~/.kube/config.
 */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const paths = (env.KUBECONFIG ?? '').split(delimiter).filter((path) => path !== '');
  if (paths.length === 0) return join(homedir(), '.kube', 'config');
  return paths.find((path) => existsSync(path)) ?? paths[paths.length - 1]!;
}

/** Writes atomically with owner-only permissions: a kubeconfig holds credentials. */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const staging = `${path}.${process.pid}.tmp`;
  await writeFile(staging, text, { mode: 0o600 });
  await rename(staging, path);
}

/** Writes a standalone kubeconfig; resolves to `path`. */
export async function writeKubeconfig(path: string, options: KubeconfigOptions): Promise<string> {
  await writePrivateFile(path, buildKubeconfig(options));
  return path;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Replaces the entry of the same name in place, or appends it. */
function upsertByName(list: unknown, entry: NamedEntry, field: string, path: string): unknown[] {
  if (list === undefined || list === null) return [entry];
  if (!Array.isArray(list)) throw new Error(`${path}: "${field}" is not a list`);
  const index = list.findIndex((item) => isRecord(item) && item.name === entry.name);
  return index === -1 ? [...list, entry] : list.map((item, i) => (i === index ? entry : item));
}

/** `config` with the entries upserted and their context current; every other field kept where it was. */
function withEntries(config: Record<string, unknown>, entries: KubeconfigEntries, path = 'kubeconfig'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    ...config,
    clusters: upsertByName(config.clusters, entries.cluster, 'clusters', path),
    users: upsertByName(config.users, entries.user, 'users', path),
    contexts: upsertByName(config.contexts, entries.context, 'contexts', path),
    'current-context': entries.context.name,
    preferences: config.preferences ?? {},
  };
}

async function readExistingConfig(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const config: unknown = parse(text);
  if (config === null || config === undefined) return {};
  if (!isRecord(config)) throw new Error(`${path} is not a kubeconfig (expected a YAML mapping)`);
  return config;
}

/**
 * Adds or replaces the emulator's cluster, user and context in the
 * kubeconfig at `target` (default: `defaultKubeconfigPath()`) and makes it
 * the current context, leaving every other entry and field as it was.
 * Resolves to the path written.
 */
export async function mergeIntoKubeconfig(target: string | undefined, options: KubeconfigOptions): Promise<string> {
  const path = target ?? defaultKubeconfigPath();
  const merged = withEntries(await readExistingConfig(path), entriesFor(options), path);
  await writePrivateFile(path, stringify(merged));
  return path;
}
