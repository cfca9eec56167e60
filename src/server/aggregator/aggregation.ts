/**
 * The kube-aggregator in front of the apiserver: an APIService whose
 * `spec.service` names a Service makes `/apis/<group>/<version>/...` a proxy
 * to that Service, as on a real cluster. Here the Service's server is an
 * in-process backend (virt-api's subresources), reached while the Service has
 * a ready endpoint (its pods run and are ready); otherwise the answer is the
 * aggregator's plain-text 503 "service unavailable". The aggregated groups
 * join discovery (/apis, aggregated and legacy, and /apis/<group>), with each
 * version's resources read from the backend's own /apis/<group>/<version>,
 * the way the aggregator's discovery manager falls back for servers that do
 * not serve /discovery/v2.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { UserInfo } from '../../auth/user.js';
import { sortVersions } from '../../api/type-registry.js';
import { aggregatedDiscovery, aggregatedDiscoveryMediaType, legacyGroupList, wantsAggregated } from '../discovery.js';
import type { ApiServerParts } from '../parts.js';
import { authorizeUpgrade } from '../authorization.js';
import { upgradeContainerStream } from '../streams/container-streams.js';
import { upgradePortForward } from '../streams/port-forward.js';
import { rejectUpgrade } from '../streams/upgrade-response.js';

// The backend interface lives beside the API types so that backends (virt-api) need not import the HTTP layer.
import type { AggregatedBackend, BackendRequest } from '../../api/extension-points.js';
export type { AggregatedBackend, BackendRequest, BackendResponse } from '../../api/extension-points.js';

/** Backends keyed by the Service an APIService names, "<namespace>/<name>" (e.g. "kubevirt/virt-api"). */
export type AggregatedBackends = ReadonlyMap<string, AggregatedBackend>;

interface APIService extends KubeObject {
  spec?: {
    group?: string;
    version?: string;
    service?: { namespace?: string; name?: string; port?: number } | null;
    groupPriorityMinimum?: number;
    versionPriority?: number;
  };
}

interface Endpoints extends KubeObject {
  subsets?: Array<{ addresses?: unknown[] }>;
}

/** Who the aggregator's own discovery requests come from, as kube-aggregator sends them. */
const AGGREGATOR_USER: UserInfo = { username: 'system:kube-aggregator', groups: ['system:masters'] };

/** What kube-aggregator answers (http.Error) while an APIService's service has no ready endpoint. */
const UNAVAILABLE_TEXT = 'service unavailable\n';

/** Authenticates an upgrade request, which bypasses fastify's hooks; rejects with a 401 StatusError. */
export type UpgradeAuthenticator = (req: IncomingMessage) => Promise<UserInfo>;

export function registerAggregatedApis(
  app: FastifyInstance,
  parts: ApiServerParts,
  backends: AggregatedBackends,
  authenticate: UpgradeAuthenticator,
): void {
  const aggregator = new Aggregator(parts, backends);
  // preHandler: the body has been read (the catch-all parser keeps it as bytes) and the local routes exist;
  // a request for an aggregated group-version is answered here and never reaches them.
  app.addHook('preHandler', async (req, reply) => aggregator.handle(req, reply));
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    authenticate(req).then(
      (user) =>
        upgradeContainerStream(parts, req, user, socket, head) ||
        upgradePortForward(parts, req, user, socket, head) ||
        aggregator.upgrade(req, user, socket, head),
      (error: unknown) => {
        const status = asStatusError(error);
        rejectUpgrade(socket, status.code, 'application/json', JSON.stringify(status.toStatus()));
      },
    );
  });
}

class Aggregator {
  constructor(
    private readonly parts: ApiServerParts,
    private readonly backends: AggregatedBackends,
  ) {}

  async handle(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const [path] = req.url.split('?');
    const segments = path.split('/').filter(Boolean);
    if (segments[0] !== 'apis') return undefined;
    if (segments.length === 1 && req.method === 'GET') return this.sendGroupList(req, reply);
    if (this.isLocalGroup(segments[1])) return undefined;
    if (segments.length === 2) {
      const group = this.groupEntry(segments[1]);
      return group && req.method === 'GET' ? reply.send({ kind: 'APIGroup', apiVersion: 'v1', ...group }) : undefined;
    }
    const apiService = this.apiService(segments[1], segments[2]);
    if (!apiService?.spec?.service) return undefined;
    const backend = this.availableBackend(apiService);
    if (!backend)
      return reply.code(503).header('X-Content-Type-Options', 'nosniff').type('text/plain; charset=utf-8').send(UNAVAILABLE_TEXT);
    const body = Buffer.isBuffer(req.body) ? req.body : undefined;
    const response = await backend.serve(backendRequest(req.method, req.url, req.headers, body, req.user));
    reply.code(response.status);
    if (response.contentType) reply.type(response.contentType);
    return reply.send(response.body ?? '');
  }

  upgrade(req: IncomingMessage, user: UserInfo, socket: Duplex, head: Buffer): void {
    const url = req.url ?? '/';
    const [, root, group, version] = url.split('?')[0].split('/');
    const apiService = root === 'apis' && group && version && !this.isLocalGroup(group) ? this.apiService(group, version) : undefined;
    if (!apiService?.spec?.service) return rejectUpgrade(socket, 404, 'application/json', JSON.stringify(notFoundStatus()));
    let effective: UserInfo;
    try {
      // Impersonation headers and RBAC, as for every other request: WebSocket upgrades never pass fastify's hooks.
      effective = authorizeUpgrade(this.parts, req, user);
    } catch (err) {
      const status = asStatusError(err);
      return rejectUpgrade(socket, status.code, 'application/json', JSON.stringify(status.toStatus()));
    }
    const backend = this.availableBackend(apiService);
    if (!backend) return rejectUpgrade(socket, 503, 'text/plain; charset=utf-8', UNAVAILABLE_TEXT);
    backend.upgrade(backendRequest(req.method ?? 'GET', url, req.headers, undefined, effective), socket, head);
  }

  /** /apis: the local groups, then the aggregated ones (so a CRD group wins a resource-name tie, e.g. virtualmachines). */
  private async sendGroupList(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const groups = this.aggregatedGroups();
    if (wantsAggregated(req.headers.accept)) {
      const local = aggregatedDiscovery(this.parts.types, false);
      const items = [];
      for (const group of groups) {
        const versions = [];
        for (const apiService of group.apiServices) versions.push(await this.versionDiscovery(apiService));
        items.push({ metadata: { name: group.name, creationTimestamp: null }, versions });
      }
      return reply.type(aggregatedDiscoveryMediaType).send(JSON.stringify({ ...local, items: [...local.items, ...items] }));
    }
    const local = legacyGroupList(this.parts.types);
    return reply.send({ ...local, groups: [...local.groups, ...groups.map((g) => groupEntryOf(g.name, g.apiServices))] });
  }

  /** One version of an aggregated group as the discovery manager records it: empty while the backend cannot answer. */
  private async versionDiscovery(apiService: APIService) {
    const group = apiService.spec?.group ?? '';
    const version = apiService.spec?.version ?? '';
    const backend = this.availableBackend(apiService);
    const request = backendRequest('GET', `/apis/${group}/${version}`, { accept: 'application/json' }, undefined, AGGREGATOR_USER);
    const answer = backend ? await backend.serve(request) : undefined;
    const resources = answer?.status === 200 ? resourcesToDiscovery(JSON.parse(String(answer.body)) as ResourceList) : [];
    return { version, resources, freshness: 'Current' };
  }

  private isLocalGroup(group: string): boolean {
    return this.parts.types.groups().some((g) => g.name === group);
  }

  private apiServiceType() {
    return this.parts.types.byKind('apiregistration.k8s.io/v1', 'APIService');
  }

  private apiService(group: string, version: string): APIService | undefined {
    const type = this.apiServiceType();
    return type ? (this.parts.store.get(type.storageKey, '', `${version}.${group}`) as APIService | undefined) : undefined;
  }

  /** Groups served through a Service, ordered as the aggregator orders them: by group priority, then name. */
  private aggregatedGroups(): Array<{ name: string; apiServices: APIService[] }> {
    const type = this.apiServiceType();
    if (!type) return [];
    const byGroup = new Map<string, APIService[]>();
    for (const apiService of this.parts.store.list(type.storageKey) as APIService[]) {
      const group = apiService.spec?.group;
      if (!group || !apiService.spec?.service || this.isLocalGroup(group)) continue;
      byGroup.set(group, [...(byGroup.get(group) ?? []), apiService]);
    }
    const priority = (list: APIService[]) => Math.max(...list.map((a) => a.spec?.groupPriorityMinimum ?? 0));
    return [...byGroup]
      .map(([name, list]) => ({ name, apiServices: orderVersions(list) }))
      .sort((a, b) => priority(b.apiServices) - priority(a.apiServices) || a.name.localeCompare(b.name));
  }

  private groupEntry(group: string) {
    const found = this.aggregatedGroups().find((g) => g.name === group);
    return found ? groupEntryOf(found.name, found.apiServices) : undefined;
  }

  /** The backend of the APIService's Service, if one is registered and the Service has a ready endpoint. */
  private availableBackend(apiService: APIService): AggregatedBackend | undefined {
    const service = apiService.spec?.service;
    const backend = service ? this.backends.get(`${service.namespace}/${service.name}`) : undefined;
    if (!service || !backend) return undefined;
    const endpointsType = this.parts.types.byKind('v1', 'Endpoints');
    const endpoints = endpointsType
      ? (this.parts.store.get(endpointsType.storageKey, service.namespace ?? '', service.name ?? '') as Endpoints | undefined)
      : undefined;
    const ready = endpoints?.subsets?.some((subset) => (subset.addresses?.length ?? 0) > 0) ?? false;
    return ready ? backend : undefined;
  }
}

function backendRequest(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: Buffer | undefined,
  user: UserInfo,
): BackendRequest {
  const queryStart = url.indexOf('?');
  return {
    method,
    path: queryStart < 0 ? url : url.slice(0, queryStart),
    query: new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1)),
    headers,
    body: body && body.length > 0 ? body : undefined,
    user,
  };
}

/** Versions by versionPriority, then Kubernetes version order (v1 before v1alpha3). */
function orderVersions(list: APIService[]): APIService[] {
  const kubeOrder = sortVersions(list.map((a) => a.spec?.version ?? ''));
  return [...list].sort(
    (a, b) =>
      (b.spec?.versionPriority ?? 0) - (a.spec?.versionPriority ?? 0) ||
      kubeOrder.indexOf(a.spec?.version ?? '') - kubeOrder.indexOf(b.spec?.version ?? ''),
  );
}

function groupEntryOf(name: string, apiServices: APIService[]) {
  const versions = apiServices.map((a) => ({ groupVersion: `${name}/${a.spec?.version}`, version: a.spec?.version ?? '' }));
  return { name, versions, preferredVersion: versions[0] };
}

interface ResourceList {
  resources?: Array<{
    name: string;
    namespaced?: boolean;
    group?: string;
    version?: string;
    kind?: string;
    verbs?: string[];
    singularName?: string;
    shortNames?: string[];
    categories?: string[];
  }>;
}

/**
 * An APIResourceList as aggregated discovery (ConvertGroupVersionIntoToDiscovery):
 * top-level resources first; a subresource whose parent is not listed gets an
 * empty parent entry; names split at the first slash ("evacuate/cancel" stays whole).
 */
export function resourcesToDiscovery(list: ResourceList) {
  const emptyKind = { group: '', version: '', kind: '' };
  const scopeOf = (namespaced: boolean | undefined) => (namespaced ? 'Namespaced' : 'Cluster');
  const entries: Array<Record<string, unknown> & { subresources?: unknown[] }> = [];
  const parents = new Map<string, number>();
  const resources = list.resources ?? [];
  for (const r of resources.filter((r) => !r.name.includes('/'))) {
    const entry: Record<string, unknown> = {
      resource: r.name,
      responseKind: { group: r.group ?? '', version: r.version ?? '', kind: r.kind ?? '' },
      scope: scopeOf(r.namespaced),
      singularResource: r.singularName ?? '',
      verbs: r.verbs ?? [],
    };
    if (r.shortNames?.length) entry.shortNames = r.shortNames;
    if (r.categories?.length) entry.categories = r.categories;
    parents.set(r.name, entries.push(entry) - 1);
  }
  for (const r of resources.filter((r) => r.name.includes('/'))) {
    const slash = r.name.indexOf('/');
    const parent = r.name.slice(0, slash);
    let index = parents.get(parent);
    if (index === undefined) {
      index =
        entries.push({ resource: parent, responseKind: emptyKind, scope: scopeOf(r.namespaced), singularResource: '', verbs: [] }) - 1;
      parents.set(parent, index);
    }
    const responseKind = r.kind ? { group: r.group ?? '', version: r.version ?? '', kind: r.kind } : emptyKind;
    (entries[index].subresources ??= []).push({ subresource: r.name.slice(slash + 1), responseKind, verbs: r.verbs ?? [] });
  }
  return entries;
}

const notFoundStatus = () => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'the server could not find the requested resource',
  reason: 'NotFound',
  code: 404,
});
