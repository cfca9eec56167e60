/**
 * The scenario runner's way to the cluster: plain HTTP(S) requests with the
 * kubeconfig's server and credentials, and discovery to turn kubectl-style
 * names ("vm", "pods", "virtualmachineinstances.kubevirt.io") and kinds into
 * URL paths. The same code serves an in-process emulator (its URL) and one
 * already running elsewhere (`--kubeconfig`).
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { KubeObject } from '../api/types.js';

const FIELD_MANAGER = 'kubevirt-emulator-scenario';

export interface ResourceInfo {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  shortNames: string[];
  namespaced: boolean;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** An API answer other than success, with the Status message the server gave. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Where the kubeconfig's current context points, and its credentials (a bearer token and/or a client certificate). */
export interface Connection {
  server: URL;
  token?: string;
  cert?: string;
  key?: string;
  ca?: string;
  insecure: boolean;
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: Array<{
    name: string;
    cluster: { server: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean };
  }>;
  users?: Array<{ name: string; user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string } }>;
}

const decoded = (data: string | undefined): string | undefined => (data ? Buffer.from(data, 'base64').toString('utf8') : undefined);

export function connectionOf(kubeconfigPath: string): Connection {
  const config = parse(readFileSync(kubeconfigPath, 'utf8')) as KubeconfigFile;
  const context = config.contexts?.find((c) => c.name === config['current-context']) ?? config.contexts?.[0];
  const cluster = config.clusters?.find((c) => c.name === context?.context.cluster)?.cluster;
  if (!cluster) throw new Error(`${kubeconfigPath}: no cluster for the current context`);
  const user = config.users?.find((u) => u.name === context?.context.user)?.user;
  return {
    server: new URL(cluster.server),
    token: user?.token,
    cert: decoded(user?.['client-certificate-data']),
    key: decoded(user?.['client-key-data']),
    ca: decoded(cluster['certificate-authority-data']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
  };
}

const messageOf = (body: unknown, status: number): string =>
  typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
    ? (body as { message: string }).message
    : `HTTP ${status}: ${typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body)}`;

export class ClusterApi {
  readonly connection: Connection;
  private resources: ResourceInfo[] | undefined;

  constructor(readonly kubeconfigPath: string) {
    this.connection = connectionOf(kubeconfigPath);
  }

  /** One request; the body is JSON-encoded unless it is already a string. Never throws on an HTTP status. */
  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
    const { server, token, cert, key, ca, insecure } = this.connection;
    const url = new URL(path, server);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const options: RequestOptions & { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } = {
      method,
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
      },
      ...(url.protocol === 'https:'
        ? { ...(insecure ? { rejectUnauthorized: false } : { ca }), ...(cert && key ? { cert, key } : {}) }
        : {}),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // Not JSON (a plain-text 404 from a route that does not exist): keep the text.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like request, but a non-2xx answer throws an ApiError with the server's message. */
  async call<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const response = await this.request(method, path, body, contentType);
    if (response.status < 200 || response.status >= 300) throw new ApiError(response.status, messageOf(response.body, response.status));
    return response.body as T;
  }

  // ---- discovery ----

  private async discover(): Promise<ResourceInfo[]> {
    const found: ResourceInfo[] = [];
    const addList = async (group: string, version: string, path: string) => {
      const list = await this.call<{
        resources: Array<{ name: string; singularName?: string; kind: string; namespaced: boolean; shortNames?: string[] }>;
      }>('GET', path);
      for (const r of list.resources) {
        if (r.name.includes('/')) continue;
        found.push({
          group,
          version,
          plural: r.name,
          singular: r.singularName || r.kind.toLowerCase(),
          kind: r.kind,
          shortNames: r.shortNames ?? [],
          namespaced: r.namespaced,
        });
      }
    };
    await addList('', 'v1', '/api/v1');
    const groups = await this.call<{ groups: Array<{ name: string; preferredVersion: { version: string } }> }>('GET', '/apis');
    await Promise.all(
      groups.groups.map((g) =>
        addList(g.name, g.preferredVersion.version, `/apis/${g.name}/${g.preferredVersion.version}`).catch(() => {
          // An aggregated group whose backend is not up yet: its names resolve once it is.
        }),
      ),
    );
    return found;
  }

  /** Finds a resource by kubectl's names: plural, singular, short name or kind, optionally `.group`; rediscovers once on a miss. */
  async resource(name: string): Promise<ResourceInfo> {
    const lower = name.toLowerCase();
    const matches = (r: ResourceInfo) => {
      const names = [r.plural, r.singular, r.kind.toLowerCase(), ...r.shortNames];
      return names.includes(lower) || names.some((n) => `${n}.${r.group}` === lower);
    };
    let hit = (this.resources ??= await this.discover()).find(matches);
    if (!hit) hit = (this.resources = await this.discover()).find(matches);
    if (!hit) throw new Error(`the server doesn't have a resource type "${name}"`);
    return hit;
  }

  async resourceForKind(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const find = () => this.resources?.find((r) => r.group === group && r.kind === kind);
    let hit = find();
    if (!hit) {
      this.resources = await this.discover();
      hit = find();
    }
    if (!hit) throw new Error(`no resource for kind "${kind}" in ${apiVersion}`);
    return { ...hit, version };
  }

  /** The collection URL of a resource, or the object's with a name. */
  pathOf(info: ResourceInfo, namespace: string | undefined, name?: string): string {
    const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
    const scope = info.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
    return `${base}${scope}/${info.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
  }

  // ---- objects ----

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const response = await this.request('GET', this.pathOf(info, namespace, name));
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new ApiError(response.status, messageOf(response.body, response.status));
    return response.body as KubeObject;
  }

  async list(
    info: ResourceInfo,
    options: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<KubeObject[]> {
    const query = new URLSearchParams();
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    const base =
      options.namespace || !info.namespaced ? this.pathOf(info, options.namespace) : this.pathOf({ ...info, namespaced: false }, undefined);
    const list = await this.call<{ items: KubeObject[] }>('GET', `${base}${query.size ? `?${query}` : ''}`);
    return list.items;
  }

  /**
   * Creates the object, or when it exists updates the fields it names as
   * `kubectl apply --server-side --force-conflicts` does. Create comes first
   * because most applies make new objects and a JSON create is far cheaper
   * for the server than an apply patch of a large CRD.
   */
  async apply(obj: KubeObject, namespace: string | undefined): Promise<KubeObject> {
    const info = await this.resourceForKind(obj.apiVersion ?? '', obj.kind ?? '');
    const ns = info.namespaced ? (obj.metadata?.namespace ?? namespace ?? 'default') : undefined;
    const body = info.namespaced ? { ...obj, metadata: { ...obj.metadata, namespace: ns } } : obj;
    const created = await this.request('POST', `${this.pathOf(info, ns)}?fieldManager=${FIELD_MANAGER}`, body);
    if (created.status === 201 || created.status === 200) return created.body as KubeObject;
    if (created.status !== 409) throw new ApiError(created.status, messageOf(created.body, created.status));
    const path = `${this.pathOf(info, ns, obj.metadata?.name ?? '')}?fieldManager=${FIELD_MANAGER}&force=true`;
    return this.call<KubeObject>('PATCH', path, body, 'application/apply-patch+yaml');
  }
}
