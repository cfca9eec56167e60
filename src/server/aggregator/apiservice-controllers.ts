/**
 * kube-aggregator's own controllers, which run inside kube-apiserver and act through its loopback client:
 * - autoregistration (pkg/controlplane/controller/crdregistration + kube-aggregator's autoregister): a Local
 *   APIService for every built-in group-version, made once at start (`kube-aggregator.kubernetes.io/automanaged:
 *   onstart`), and one for every group-version a CRD declares, kept in step with the CRDs (`automanaged: "true"`);
 *   an APIService somebody else made for the same name is left alone;
 * - availability (kube-aggregator's AvailableConditionController): the `Available` condition of every APIService,
 *   Local ones always True, Service-backed ones from their Service, its port, its Endpoints and whether anything
 *   answers behind it, with the 1.32 controller's reasons and messages, so `kubectl get apiservice` shows them.
 */
import { apiVersionOf, type KubeObject } from '../../api/types.js';
import type { Client } from '../../client/client.js';
import { isAlreadyExists, isNotFound } from '../../kube/owners.js';
import type { Clock } from '../../runtime/clock.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import { Controller } from '../../runtime/controller.js';
import type { SharedInformerFactory } from '../../runtime/informer.js';
import type { Logger } from '../../runtime/logger.js';
import { builtinApiServicePriority, customResourcePriority, type ApiServicePriority } from './priorities.js';

const API_SERVICE = { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService' };
const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
const SERVICE = { apiVersion: 'v1', kind: 'Service' };
const ENDPOINTS = { apiVersion: 'v1', kind: 'Endpoints' };
const AUTOMANAGED = 'kube-aggregator.kubernetes.io/automanaged';

interface ServiceReference {
  namespace?: string;
  name?: string;
  port?: number;
}

interface ApiService extends KubeObject {
  spec?: { group?: string; version?: string; service?: ServiceReference | null; groupPriorityMinimum?: number; versionPriority?: number };
  status?: { conditions?: ApiServiceCondition[] };
}

interface ApiServiceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

interface Crd extends KubeObject {
  spec?: { group?: string; versions?: Array<{ name?: string; served?: boolean }> };
}

export interface ApiServiceControllerOptions {
  /** The apiserver's loopback client (system:masters). */
  client: Client;
  informers: SharedInformerFactory;
  clock: Clock;
  logger: Logger;
  /** The built-in group-versions served, e.g. "v1", "apps/v1". */
  builtinApiVersions: () => string[];
  /** Whether a server answers behind the Service "<namespace>/<name>" (the in-process aggregated backends). */
  hasBackend: (service: string) => boolean;
}

/** The APIService name kube gives a group-version: "<version>.<group>" ("v1." for the core group). */
const apiServiceName = (group: string, version: string): string => `${version}.${group}`;

export function apiServiceControllers(options: ApiServiceControllerOptions): Component[] {
  return [autoRegistration(options), availability(options)];
}

function autoRegistration(options: ApiServiceControllerOptions): Component {
  const { client, informers } = options;
  const apiServices = informers.informerFor<ApiService>(API_SERVICE);
  const crds = informers.informerFor<Crd>(CRD);
  const builtins = (): Map<string, { group: string; version: string; priority: ApiServicePriority }> => {
    const wanted = new Map<string, { group: string; version: string; priority: ApiServicePriority }>();
    for (const apiVersion of options.builtinApiVersions()) {
      const priority = builtinApiServicePriority(apiVersion);
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      if (priority) wanted.set(apiServiceName(group, version), { group, version, priority });
    }
    return wanted;
  };
  /** Built-in APIServices not yet made since start: autoregister syncs "onstart" ones once, then leaves them to users. */
  const pendingOnStart = new Set<string>();

  const desired = (name: string): ApiService | undefined => {
    const builtin = builtins().get(name);
    if (builtin) return apiServiceObject(builtin.group, builtin.version, builtin.priority, 'onstart');
    for (const crd of crds.list()) {
      const group = crd.spec?.group ?? '';
      for (const version of crd.spec?.versions ?? []) {
        if (version.served && version.name && apiServiceName(group, version.name) === name) {
          return apiServiceObject(group, version.name, customResourcePriority, 'true');
        }
      }
    }
    return undefined;
  };

  const controller = new Controller({
    name: 'autoregister',
    clock: options.clock,
    logger: options.logger,
    async reconcile(name) {
      const existing = apiServices.getByName(undefined, name);
      const wanted = desired(name);
      const managed = existing?.metadata.labels?.[AUTOMANAGED];
      if (existing && managed === undefined) return; // somebody else's APIService
      if (!wanted) {
        if (existing && managed === 'true') await ignoring(isNotFound, () => client.delete(API_SERVICE, undefined, name));
        return;
      }
      const onStart = wanted.metadata.labels?.[AUTOMANAGED] === 'onstart';
      if (onStart && !pendingOnStart.has(name)) return;
      if (!existing) {
        await ignoring(isAlreadyExists, () => client.create(wanted));
      } else if (!onStart && JSON.stringify(existing.spec) !== JSON.stringify(wanted.spec)) {
        await client.update<ApiService>({ ...existing, spec: wanted.spec });
      }
      pendingOnStart.delete(name);
    },
  });
  const keysOfCrd = (crd: Crd): string[] =>
    (crd.spec?.versions ?? []).flatMap((v) => (v.name ? [apiServiceName(crd.spec?.group ?? '', v.name)] : []));
  controller.watch(apiServices).watch(crds, keysOfCrd);
  return {
    name: controller.name,
    async start() {
      await controller.start();
      for (const name of builtins().keys()) {
        pendingOnStart.add(name);
        controller.enqueue(name);
      }
    },
    stop: () => controller.stop(),
  };
}

function availability(options: ApiServiceControllerOptions): Controller {
  const { client, informers, clock } = options;
  const apiServices = informers.informerFor<ApiService>(API_SERVICE);
  const services = informers.informerFor(SERVICE);
  const endpoints = informers.informerFor<KubeObject & { subsets?: Array<{ addresses?: unknown[]; ports?: Array<{ name?: string }> }> }>(
    ENDPOINTS,
  );
  /** The APIServices backed by a Service "<namespace>/<name>", for the Service and Endpoints handlers. */
  const backedBy = (obj: KubeObject): string[] =>
    apiServices
      .list()
      .filter((a) => a.spec?.service?.namespace === obj.metadata.namespace && a.spec?.service?.name === obj.metadata.name)
      .map((a) => a.metadata.name ?? '');

  const condition = (apiService: ApiService): Omit<ApiServiceCondition, 'type' | 'lastTransitionTime'> => {
    const ref = apiService.spec?.service;
    if (!ref) return { status: 'True', reason: 'Local', message: 'Local APIServices are always available' };
    const where = `service/${ref.name} in "${ref.namespace}"`;
    const service = services.getByName(ref.namespace, ref.name ?? '');
    if (!service) return { status: 'False', reason: 'ServiceNotFound', message: `${where} is not present` };
    const spec = (service.spec ?? {}) as { type?: string; clusterIP?: string; ports?: Array<{ port?: number; name?: string }> };
    const port = ref.port ?? 443;
    if ((spec.type ?? 'ClusterIP') === 'ClusterIP') {
      const servicePort = (spec.ports ?? []).find((p) => p.port === port);
      if (!servicePort) return { status: 'False', reason: 'ServicePortError', message: `${where} is not listening on port ${port}` };
      const found = endpoints.getByName(ref.namespace, ref.name ?? '');
      if (!found) return { status: 'False', reason: 'EndpointsNotFound', message: `cannot find endpoints for ${where}` };
      const portName = servicePort.name ?? '';
      const ready = (found.subsets ?? []).some(
        (s) => (s.addresses ?? []).length > 0 && (s.ports ?? []).some((p) => (p.name ?? '') === portName),
      );
      if (!ready) {
        return {
          status: 'False',
          reason: 'MissingEndpoints',
          message: `endpoints for ${where} have no addresses with port name "${portName}"`,
        };
      }
    }
    if (!options.hasBackend(`${ref.namespace}/${ref.name}`)) {
      const host = `${spec.clusterIP ?? ref.name}:${port}`;
      const url = `https://${host}/apis/${apiService.spec?.group ?? ''}/${apiService.spec?.version ?? ''}`;
      const refused = `Get "${url}": dial tcp ${host}: connect: connection refused`;
      return { status: 'False', reason: 'FailedDiscoveryCheck', message: `failing or missing response from ${url}: ${refused}` };
    }
    return { status: 'True', reason: 'Passed', message: 'all checks passed' };
  };

  const controller = new Controller({
    name: 'APIServiceAvailability',
    clock,
    logger: options.logger,
    async reconcile(name) {
      const apiService = apiServices.getByName(undefined, name);
      if (!apiService) return;
      const conditions = apiService.status?.conditions ?? [];
      const existing = conditions.find((c) => c.type === 'Available');
      const next = condition(apiService);
      // SetAPIServiceCondition: the transition time moves only with the status.
      const lastTransitionTime = existing && existing.status === next.status ? existing.lastTransitionTime : rfc3339(clock.now());
      const available: ApiServiceCondition = {
        lastTransitionTime,
        message: next.message,
        reason: next.reason,
        status: next.status,
        type: 'Available',
      };
      if (JSON.stringify(existing) === JSON.stringify(available)) return;
      const others = conditions.filter((c) => c.type !== 'Available');
      await ignoring(isNotFound, () =>
        client.update<ApiService>(
          { ...apiService, status: { ...apiService.status, conditions: [...others, available] } },
          { subresource: 'status' },
        ),
      );
    },
  });
  return controller.watch(apiServices).watch(services, backedBy).watch(endpoints, backedBy);
}

function apiServiceObject(group: string, version: string, priority: ApiServicePriority, managed: 'onstart' | 'true'): ApiService {
  return {
    apiVersion: apiVersionOf('apiregistration.k8s.io', 'v1'),
    kind: 'APIService',
    metadata: { name: apiServiceName(group, version), labels: { [AUTOMANAGED]: managed } },
    spec: { ...(group ? { group } : {}), version, groupPriorityMinimum: priority.group, versionPriority: priority.version },
  };
}

/** A write whose failure `expected` says is the world already being as wanted (gone, or there). */
async function ignoring(expected: (err: unknown) => boolean, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!expected(err)) throw err;
  }
}
