/**
 * Kubernetes' CEL URL library (k8s.io/apiserver/pkg/cel/library/urls.go):
 * url(), isURL() and the getters, with Go's url.Parse acceptance (an absolute
 * URL or an absolute path; no relative references).
 */
import type { Environment } from '@marcbachmann/cel-js';

export class KubeUrl {
  constructor(
    readonly url: URL | undefined,
    readonly path: string,
  ) {}
  compareTo(other: KubeUrl): number {
    return this.toString() === other.toString() ? 0 : 1;
  }
  toString(): string {
    return this.url?.href ?? this.path;
  }
}

function parseUrl(text: string): KubeUrl {
  if (text.startsWith('/')) return new KubeUrl(undefined, text);
  try {
    const url = new URL(text);
    return new KubeUrl(url, url.pathname);
  } catch {
    throw new Error(`URL parse error during conversion from string: parse "${text}": invalid URI for request`);
  }
}

const isUrl = (text: string): boolean => {
  try {
    parseUrl(text);
    return true;
  } catch {
    return false;
  }
};

/** Go's Hostname(): the host without port and without IPv6 brackets. */
const hostname = (u: KubeUrl): string => (u.url?.hostname ?? '').replace(/^\[(.*)\]$/, '$1');

function query(u: KubeUrl): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of u.url?.searchParams ?? []) out.set(k, [...(out.get(k) ?? []), v]);
  return out;
}

export function registerUrlLibrary(env: Environment): void {
  env
    .registerType('URL', KubeUrl)
    .registerFunction('url(string): URL', parseUrl)
    .registerFunction('isURL(string): bool', isUrl)
    .registerFunction('URL.getScheme(): string', (u: KubeUrl) => u.url?.protocol.replace(/:$/, '') ?? '')
    .registerFunction('URL.getHost(): string', (u: KubeUrl) => u.url?.host ?? '')
    .registerFunction('URL.getHostname(): string', hostname)
    .registerFunction('URL.getPort(): string', (u: KubeUrl) => u.url?.port ?? '')
    .registerFunction('URL.getEscapedPath(): string', (u: KubeUrl) => u.path)
    .registerFunction('URL.getQuery(): map<string, list<string>>', query)
    .registerFunction('string(URL): string', (u: KubeUrl) => u.toString());
}
