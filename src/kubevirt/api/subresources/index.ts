/**
 * virt-api's aggregated API, subresources.kubevirt.io (pkg/virt-api/api.go,
 * pkg/virt-api/rest): the backend the apiserver's aggregator forwards to
 * through the APIServices v1/v1alpha3.subresources.kubevirt.io, whose Service
 * is kubevirt/virt-api. The aggregator decides reachability (virt-api ready);
 * this module answers as virt-api does once a request arrives.
 *
 * `virtApiSubresources(options)` builds the backend; register it under
 * VIRT_API_SERVICE with src/server/aggregation.ts.
 */
import type { Duplex } from 'node:stream';
import { StatusError, badRequest, internalError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import type { AggregatedBackend, BackendRequest, BackendResponse } from '../../../api/extension-points.js';
import { KUBEVIRT_REF, VM_REF } from '../../controller/constants.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../controller/types.js';
import { consoleProblem, serveSerialConsole, vncProblem } from './console.js';
import { SUBRESOURCE_GROUP, SUBRESOURCE_VERSIONS, resourceList } from './discovery.js';
import { cancelEvacuation, type EvacuateCancelOptions } from './evacuate-cancel.js';
import { expandFailure, expandVm, vmFromBody } from './expand-spec.js';
import { clientLookup } from '../../controller/instancetype/vm-instancetype.js';
import type { GuestMachine } from '../../handler/guest/machine.js';
import { filesystemList, guestAgentInfo, guestAgentProblem, userList } from './guest-agent.js';
import { dialGuest, parsePortPath, portForwardProblem, servePortForward } from './port-forward.js';
import { asStatus, decodeOptions, empty, isDryRun, json, plainError, statusResponse, subjectNotFound, vmConflict } from './responses.js';
import { VmLifecycle, type MigrateOptions, type RestartOptions, type StartOptions, type StopOptions } from './vm-lifecycle.js';
import { VmiLifecycle, type VirtHandlerClient } from './vmi-lifecycle.js';
import { VolumeHotplug } from './volumes.js';
import { MemoryDump } from './memory-dump.js';
import { screenshot, serveVnc, VgaConsoles, VNC_IN_USE } from './vnc/index.js';
import { backupProblem, redefineCheckpointProblem } from './backup.js';
import { notWebSocket, serveIdleStream, usbRedirProblem, vsockProblem } from './streams.js';
import { admissionConfig } from '../admission/config.js';

export type { VirtHandlerClient } from './vmi-lifecycle.js';

/** What Go's strconv.ParseBool reads as true (virt-handler parses preserveSession with it). */
const GO_TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);

/** The Service the subresources APIServices name: "<namespace>/<name>" as the aggregator keys backends. */
export const VIRT_API_SERVICE = 'kubevirt/virt-api';

/** The KubeVirt release virt-api reports when the KubeVirt CR does not say. */
const DEFAULT_KUBEVIRT_VERSION = 'v1.9.0-rc.2';

export interface VirtApiSubresourcesOptions {
  /** virt-api's client (its service account). */
  client: Client;
  /** virt-handler's commands (src/kubevirt/handler `handlerCommands(ctx)`). */
  handler: VirtHandlerClient;
  /** The Kubernetes gitVersion healthz reports (the apiserver's /version). */
  kubernetesVersion: string;
}

type Route = (request: BackendRequest, params: { namespace: string; name: string }) => Promise<BackendResponse>;

export function virtApiSubresources(options: VirtApiSubresourcesOptions): AggregatedBackend {
  return new VirtApiSubresources(options);
}

class VirtApiSubresources implements AggregatedBackend {
  private readonly vms: VmLifecycle;
  private readonly vmis: VmiLifecycle;
  private readonly volumes: VolumeHotplug;
  private readonly memoryDump: MemoryDump;
  private readonly vmRoutes: Record<string, { method: string; route: Route }>;
  private readonly vmiRoutes: Record<string, { method: string; route: Route }>;
  private readonly vgaConsoles = new VgaConsoles();

  constructor(private readonly options: VirtApiSubresourcesOptions) {
    this.vms = new VmLifecycle(options.client);
    this.vmis = new VmiLifecycle(options.client, options.handler);
    this.volumes = new VolumeHotplug(options.client, () => this.kubeVirt());
    this.memoryDump = new MemoryDump(options.client, () => this.kubeVirt());
    const accepted =
      (act: (ns: string, name: string, body: Buffer | undefined) => Promise<void>): Route =>
      async (req, p) => {
        await act(p.namespace, p.name, req.body);
        return empty(202);
      };
    const ok =
      (act: (ns: string, name: string, body: Buffer | undefined) => Promise<void>): Route =>
      async (req, p) => {
        await act(p.namespace, p.name, req.body);
        return empty(200);
      };
    this.vmRoutes = {
      start: { method: 'PUT', route: accepted((ns, n, b) => this.vms.start(ns, n, decodeOptions<StartOptions>(b, 'v1.StartOptions'))) },
      stop: { method: 'PUT', route: accepted((ns, n, b) => this.vms.stop(ns, n, decodeOptions<StopOptions>(b, 'v1.StopOptions'))) },
      restart: {
        method: 'PUT',
        route: accepted((ns, n, b) => this.vms.restart(ns, n, decodeOptions<RestartOptions>(b, 'v1.RestartOptions'))),
      },
      migrate: {
        method: 'PUT',
        route: accepted((ns, n, b) => this.vms.migrate(ns, n, decodeOptions<MigrateOptions>(b, 'v1.MigrateOptions'))),
      },
      'evacuate/cancel': {
        method: 'PUT',
        route: ok(async (ns, n, b) => cancelEvacuation(options.client, await this.vmiOfVm(ns, n), evacuateOptions(b))),
      },
      addvolume: { method: 'PUT', route: accepted((ns, n, b) => this.volumes.add('vm', ns, n, b)) },
      removevolume: { method: 'PUT', route: accepted((ns, n, b) => this.volumes.remove('vm', ns, n, b)) },
      memorydump: { method: 'PUT', route: accepted((ns, n, b) => this.memoryDump.request(ns, n, b)) },
      removememorydump: { method: 'PUT', route: accepted((ns, n) => this.memoryDump.remove(ns, n)) },
      objectgraph: { method: 'GET', route: async () => statusResponse(objectGraphDisabled()) },
      'expand-spec': {
        method: 'GET',
        route: async (_req, p) =>
          this.expand(await this.fetchVm(p.namespace, p.name)).catch((err: unknown) => statusResponse(expandFailure(err))),
      },
    };
    this.vmiRoutes = {
      pause: { method: 'PUT', route: ok((ns, n, b) => this.vmis.pause(ns, n, isDryRun(decodeOptions(b, 'v1.PauseOptions')))) },
      unpause: { method: 'PUT', route: ok((ns, n, b) => this.vmis.unpause(ns, n, isDryRun(decodeOptions(b, 'v1.UnpauseOptions')))) },
      softreboot: { method: 'PUT', route: ok((ns, n) => this.vmis.softReboot(ns, n)) },
      reset: { method: 'PUT', route: ok((ns, n) => this.vmis.reset(ns, n)) },
      freeze: { method: 'PUT', route: ok((ns, n, b) => this.vmis.freeze(ns, n, unfreezeTimeoutSeconds(b))) },
      unfreeze: { method: 'PUT', route: ok((ns, n) => this.vmis.unfreeze(ns, n)) },
      'evacuate/cancel': {
        method: 'PUT',
        route: ok(async (ns, n, b) => cancelEvacuation(options.client, await this.vmis.fetchVmi(ns, n), evacuateOptions(b))),
      },
      addvolume: { method: 'PUT', route: accepted((ns, n, b) => this.volumes.add('vmi', ns, n, b)) },
      removevolume: { method: 'PUT', route: accepted((ns, n, b) => this.volumes.remove('vmi', ns, n, b)) },
      guestosinfo: { method: 'GET', route: (_req, p) => this.guestAgent(p.namespace, p.name, guestAgentInfo) },
      userlist: { method: 'GET', route: (_req, p) => this.guestAgent(p.namespace, p.name, userList) },
      filesystemlist: { method: 'GET', route: (_req, p) => this.guestAgent(p.namespace, p.name, filesystemList) },
      backup: { method: 'PUT', route: async (_req, p) => statusResponse(backupProblem(await this.vmis.fetchVmi(p.namespace, p.name))) },
      'redefine-checkpoint': {
        method: 'PUT',
        route: async (_req, p) => statusResponse(redefineCheckpointProblem(await this.vmis.fetchVmi(p.namespace, p.name))),
      },
      'vnc/screenshot': { method: 'GET', route: (_req, p) => this.screenshot(p.namespace, p.name) },
      objectgraph: { method: 'GET', route: async () => statusResponse(objectGraphDisabled()) },
      'sev/fetchcertchain': { method: 'GET', route: async () => statusResponse(sevDisabled()) },
      'sev/querylaunchmeasurement': { method: 'GET', route: async () => statusResponse(sevDisabled()) },
      'sev/setupsession': { method: 'PUT', route: async () => statusResponse(sevDisabled()) },
      'sev/injectlaunchsecret': { method: 'PUT', route: async () => statusResponse(sevDisabled()) },
    };
  }

  async serve(request: BackendRequest): Promise<BackendResponse> {
    const path = parsePath(request.path);
    if (!path) return notFoundPage();
    try {
      if (path.kind === 'groupVersion') return request.method === 'GET' ? json(resourceList(path.version)) : methodNotAllowed();
      if (path.kind === 'version') return request.method === 'GET' ? json(await this.version()) : methodNotAllowed();
      if (path.kind === 'healthz') return request.method === 'GET' ? this.healthz() : methodNotAllowed();
      if (path.kind === 'guestfs') return request.method === 'GET' ? this.guestfs() : methodNotAllowed();
      // Errors of the body or of the expansion are the client's: 400.
      if (path.kind === 'expandVmSpec')
        return request.method === 'PUT'
          ? await this.expand(vmFromBody(request.body, path.namespace)).catch((err: unknown) =>
              statusResponse(err instanceof StatusError ? err : badRequest((err as Error).message)),
            )
          : methodNotAllowed();
      if (path.kind === 'profiler') return request.method === 'GET' ? this.clusterProfiler(path.action) : methodNotAllowed();
      if (path.kind !== 'object') return notFoundPage();
      const stream = streamOf(path);
      if (stream) {
        if (request.method !== 'GET') return methodNotAllowed();
        // Not an upgrade: the checks answer first, then the WebSocket upgrader refuses the request.
        const { problem } = await this.checkedStreamVmi(path, stream, request);
        return statusResponse(problem ?? notWebSocket());
      }
      const routes = path.resource === 'virtualmachines' ? this.vmRoutes : this.vmiRoutes;
      const entry = routes[path.action];
      if (!entry) return noRoute();
      if (entry.method !== request.method) return methodNotAllowed();
      return await entry.route(request, path);
    } catch (err) {
      return statusResponse(asStatus(err));
    }
  }

  upgrade(request: BackendRequest, socket: Duplex, _head: Buffer): void {
    const path = parsePath(request.path);
    const stream = path?.kind === 'object' ? streamOf(path) : undefined;
    if (path?.kind !== 'object' || !stream) return writeHttp(socket, notFoundPage());
    void this.checkedStreamVmi(path, stream, request)
      .then(async ({ vmi: found, problem }) => {
        if (problem) return writeHttp(socket, statusResponse(problem));
        if (stream.action === 'vnc') return serveVnc(socket, request.headers, found, this.vgaConsoles, await this.guestOf(found));
        if (stream.action === 'console') return serveSerialConsole(socket, request.headers, await this.guestOf(found));
        if (stream.action === 'usbredir' || stream.action === 'vsock') return serveIdleStream(socket, request.headers);
        const { port, protocol } = parsePortPath(stream.rest);
        const machine = await this.guestOf(found).catch(() => undefined);
        servePortForward(socket, request.headers, dialGuest(found, machine, port, protocol));
      })
      .catch((err: unknown) => writeHttp(socket, statusResponse(asStatus(err))));
  }

  /** The VMI of a streaming request and what virt-api's checks before the upgrade say of it. */
  private async checkedStreamVmi(path: ObjectPath, stream: Stream, request: BackendRequest) {
    const vmi =
      path.resource === 'virtualmachineinstances'
        ? await this.vmis.fetchVmi(path.namespace, path.name)
        : await this.vmiOfVm(path.namespace, path.name);
    let problem: StatusError | undefined;
    if (stream.action === 'vnc') {
      problem = vncProblem(vmi);
      if (!problem && GO_TRUE.has(request.query.get('preserveSession') ?? '') && this.vgaConsoles.inUse(vmi))
        problem = internalError(VNC_IN_USE);
    } else if (stream.action === 'console') problem = consoleProblem(vmi);
    else if (stream.action === 'usbredir') problem = usbRedirProblem(vmi);
    else if (stream.action === 'vsock') problem = vsockProblem(vmi);
    else problem = portForwardProblem(vmi, parsePortPath(stream.rest).port);
    return { vmi, problem };
  }

  /** The VMI's running guest, through the handler of its node. */
  private async guestOf(vmi: VirtualMachineInstance): Promise<GuestMachine> {
    if (!this.options.handler.guest) throw internalError('the virt-handler stand-in simulates no guests');
    return this.options.handler.guest(vmi.metadata.namespace!, vmi.metadata.name!);
  }

  /** GETs answered by the guest agent; every failure is a plain-text 500 (go-restful WriteError). */
  private async guestAgent(
    namespace: string,
    name: string,
    answer: (vmi: VirtualMachineInstance, machine: GuestMachine | undefined) => unknown,
  ): Promise<BackendResponse> {
    let vmi: VirtualMachineInstance;
    try {
      vmi = await this.vmis.fetchVmi(namespace, name);
    } catch (err) {
      return plainError(500, asStatus(err));
    }
    const problem = guestAgentProblem(vmi);
    if (problem) return plainError(500, problem);
    return json(answer(vmi, await this.guestOf(vmi).catch(() => undefined)));
  }

  /** The display as PNG (virt-handler's answer); like every binary GET virt-api relays, a failure is a plain-text 500. */
  private async screenshot(namespace: string, name: string): Promise<BackendResponse> {
    try {
      const vmi = await this.vmis.fetchVmi(namespace, name);
      const problem = vncProblem(vmi);
      if (problem) return plainError(500, problem);
      return { status: 200, contentType: 'image/png', body: await screenshot(vmi, this.vgaConsoles, await this.guestOf(vmi)) };
    } catch (err) {
      return plainError(500, asStatus(err));
    }
  }

  private async expand(vm: VirtualMachine): Promise<BackendResponse> {
    return json(await expandVm(clientLookup(this.options.client), vm, await this.kubeVirt()));
  }

  private async fetchVm(namespace: string, name: string): Promise<VirtualMachine> {
    return this.options.client.get<VirtualMachine>(VM_REF, namespace, name).catch((err: unknown) => {
      throw err instanceof StatusError && err.code === 404 ? subjectNotFound('virtualmachine', name) : asStatus(err);
    });
  }

  /** The VMI of a VM (FetchVirtualMachineInstanceForVM): the VM must have created it. */
  private async vmiOfVm(namespace: string, name: string): Promise<VirtualMachineInstance> {
    const vm = await this.fetchVm(namespace, name);
    if (!vm.status?.created) throw vmConflict(name, 'VMI is not started');
    return this.vmis.fetchVmi(namespace, name);
  }

  private async kubeVirt(): Promise<KubeObject | undefined> {
    const list = await this.options.client.list(KUBEVIRT_REF).catch(() => undefined);
    return list?.items[0];
  }

  private async version() {
    const kv = (await this.kubeVirt()) as (KubeObject & { status?: { observedKubeVirtVersion?: string } }) | undefined;
    return {
      gitVersion: kv?.status?.observedKubeVirtVersion ?? DEFAULT_KUBEVIRT_VERSION,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.23.9',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }

  /**
   * virt-api's GetGsInfo (pkg/virt-api/api.go): the libguestfs-tools image `virtctl guestfs` runs, from the KubeVirt
   * CR's observed registry, version and deployment config (kubecli.GuestfsInfo; digest is never filled).
   */
  private async guestfs(): Promise<BackendResponse> {
    type Observed = { observedKubeVirtRegistry?: string; observedKubeVirtVersion?: string; observedDeploymentConfig?: string };
    const status = ((await this.kubeVirt()) as (KubeObject & { status?: Observed }) | undefined)?.status;
    let config: { imagePrefix?: string; GsImage?: string };
    try {
      config = JSON.parse(status?.observedDeploymentConfig ?? '');
    } catch (err) {
      const error = status ? (err as Error).message : 'Failed getting KubeVirt config';
      return { status: 500, contentType: 'application/json', body: JSON.stringify({ guestfs: { status: 'failed', error } }) };
    }
    return json({
      registry: status?.observedKubeVirtRegistry ?? '',
      tag: status?.observedKubeVirtVersion ?? '',
      digest: '',
      imagePrefix: config.imagePrefix ?? '',
      gsImage: config.GsImage ?? '',
    });
  }

  /**
   * The cluster profiler (pkg/virt-api/rest/profiler.go): behind the ClusterProfiler gate a plain-text 403; with it, the
   * emulated components have no pprof to start or stop, and a dump finds no results (the 204, no body, of an empty page).
   */
  private async clusterProfiler(action: ProfilerAction): Promise<BackendResponse> {
    if (!admissionConfig(await this.kubeVirt()).isGateEnabled('ClusterProfiler')) {
      const what = { start: 'start profiler', stop: 'stop profiler', dump: 'dump profiler results' }[action];
      return { status: 403, contentType: 'text/plain', body: `Unable to ${what}. "ClusterProfiler" feature gate must be enabled` };
    }
    return empty(action === 'dump' ? 204 : 200);
  }

  private async healthz(): Promise<BackendResponse> {
    const kv = await this.kubeVirt();
    return json({
      apiserver: { connectivity: 'ok', version: this.options.kubernetesVersion },
      'config-resource-version': kv?.metadata.resourceVersion ?? '',
    });
  }
}

type ObjectPath = {
  kind: 'object';
  namespace: string;
  resource: 'virtualmachines' | 'virtualmachineinstances';
  name: string;
  action: string;
};

type ParsedPath =
  | { kind: 'groupVersion'; version: string }
  | { kind: 'version' | 'healthz' | 'guestfs' }
  | { kind: 'profiler'; action: ProfilerAction }
  | { kind: 'expandVmSpec'; namespace: string }
  | ObjectPath
  | { kind: 'other' };

type ProfilerAction = 'start' | 'stop' | 'dump';
const PROFILER_PATHS: Record<string, ProfilerAction> = {
  'start-cluster-profiler': 'start',
  'stop-cluster-profiler': 'stop',
  'dump-cluster-profiler': 'dump',
};

type Stream = { action: 'console' | 'vnc' | 'usbredir' | 'vsock' | 'portforward'; rest: string };

/** The WebSocket routes: console, vnc, usbredir and vsock of a VMI; portforward/<port>[/<protocol>] of a VMI or a VM. */
function streamOf(path: ObjectPath): Stream | undefined {
  const [action, ...rest] = path.action.split('/');
  const onVmi = path.resource === 'virtualmachineinstances';
  if (action === 'portforward' && rest.length >= 1 && rest.length <= 2) return { action, rest: rest.join('/') };
  if (onVmi && rest.length === 0 && (action === 'console' || action === 'vnc' || action === 'usbredir' || action === 'vsock'))
    return { action, rest: '' };
  return undefined;
}

/** /apis/subresources.kubevirt.io/<version>/... as virt-api routes it. */
function parsePath(path: string): ParsedPath | undefined {
  // As kube-aggregator forwards it: unescaped (its proxy sets only URL.Path), so an escaped '/' separates segments there.
  const segments = path
    .split('/')
    .flatMap((segment) => unescapeSegment(segment).split('/'))
    .filter(Boolean);
  const [apis, group, version, ...rest] = segments;
  if (apis !== 'apis' || group !== SUBRESOURCE_GROUP || !(SUBRESOURCE_VERSIONS as readonly string[]).includes(version)) return undefined;
  if (rest.length === 0) return { kind: 'groupVersion', version };
  if (rest.length === 1 && (rest[0] === 'version' || rest[0] === 'healthz' || rest[0] === 'guestfs')) return { kind: rest[0] };
  if (rest.length === 1 && PROFILER_PATHS[rest[0]]) return { kind: 'profiler', action: PROFILER_PATHS[rest[0]] };
  const [namespaces, namespace, resource, name, ...action] = rest;
  if (namespaces === 'namespaces' && namespace && resource === 'expand-vm-spec' && name === undefined)
    return { kind: 'expandVmSpec', namespace };
  if (
    namespaces === 'namespaces' &&
    (resource === 'virtualmachines' || resource === 'virtualmachineinstances') &&
    name &&
    action.length > 0
  ) {
    return { kind: 'object', namespace, resource, name, action: action.join('/') };
  }
  return { kind: 'other' };
}

/** A path segment unescaped; one with a malformed escape stays as sent (and matches no route). */
function unescapeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const evacuateOptions = (body: Buffer | undefined): EvacuateCancelOptions | undefined =>
  body ? decodeOptions<EvacuateCancelOptions>(body, 'v1.EvacuateCancelOptions') : undefined;

/** FreezeUnfreezeTimeout.unfreezeTimeout, a Go duration ("5m", "30s"); virt-api requires it. */
function unfreezeTimeoutSeconds(body: Buffer | undefined): number {
  const { unfreezeTimeout } = decodeOptions<{ unfreezeTimeout?: string }>(body, 'v1.FreezeUnfreezeTimeout');
  if (!unfreezeTimeout) throw badRequest('Request with no body, unfreeze timeout is expected as the request body');
  const match = /^(\d+(?:\.\d+)?)(h|m|s|ms)$/.exec(unfreezeTimeout);
  if (!match) throw badRequest(`Can not unmarshal Request body to struct, error: time: invalid duration "${unfreezeTimeout}"`);
  return Number(match[1]) * { h: 3600, m: 60, s: 1, ms: 0.001 }[match[2] as 'h' | 'm' | 's' | 'ms'];
}

const objectGraphDisabled = () => badRequest('ObjectGraph feature gate not enabled: Unable to return object graph.');
const sevDisabled = () => badRequest("'WorkloadEncryptionSEV' feature gate is not enabled");

/** go-restful's answers for unknown paths and wrong methods. */
const notFoundPage = (): BackendResponse => ({ status: 404, contentType: 'text/plain', body: '404 page not found' });
const methodNotAllowed = (): BackendResponse => ({ status: 405, contentType: 'text/plain', body: '405: Method Not Allowed' });

/**
 * An action virt-api has no route for (or the emulator does not simulate), on a VM or VMI: go-restful's router finds
 * the web service but no route and writes its ServiceError as bare text (WriteErrorString), which Go's server sniffs
 * as plain text; the aggregator passes it on as it is.
 */
const noRoute = (): BackendResponse => ({ status: 404, contentType: 'text/plain; charset=utf-8', body: '404: Page Not Found' });

function writeHttp(socket: Duplex, response: BackendResponse): void {
  const body = response.body ?? '';
  const reason = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error' }[response.status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${response.status} ${reason}\r\nContent-Type: ${response.contentType ?? 'text/plain'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
