/**
 * Assembles and runs one emulator: store, types, registry, HTTP server and
 * the in-cluster components. `startEmulator` is the programmatic API users'
 * own tests call; the CLI's `serve` is a thin wrapper around it.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AdmissionChain } from './admission/chain.js';
import { WebhookBackends, registerWebhookAdmission } from './admission/webhooks/index.js';
import { builtinResourceTypes } from './api/builtin-types.js';
import { CrdServing, crdStorageKey } from './api/crd-serving.js';
import { GenericRegistry } from './api/registry/registry.js';
import { RequestHooks } from './api/registry/request-hooks.js';
import { newContext } from './api/registry/context.js';
import { DefaultSchemaCatalog } from './api/schema-catalog.js';
import { TypeRegistry } from './api/type-registry.js';
import { apiVersionOf, type ResourceType } from './api/types.js';
import { adminUser } from './auth/user.js';
import { Authorizer } from './auth/authorization/authorizer.js';
import { nodeRestriction } from './auth/authorization/node-restriction.js';
import { identityAgent, identityUser, type ComponentIdentity } from './auth/identities.js';
import { ensureBootstrapPolicy } from './auth/rbac/bootstrap-policy.js';
import { escalationCheck } from './auth/rbac/escalation.js';
import { RuleResolver } from './auth/rbac/rule-resolver.js';
import { registerReviews } from './auth/reviews.js';
import { tokenRequestHandler } from './auth/token-request.js';
import type { Client } from './client/client.js';
import { InProcessClient } from './client/in-process.js';
import { RealClock, VirtualClock, type Clock } from './runtime/clock.js';
import { SeededRandom } from './runtime/seeded-random.js';
import { buildApp } from './server/app.js';
import { registerAggregatedApis } from './server/aggregation.js';
import { registerClockControl } from './server/clock-control.js';
import { VIRT_API_SERVICE, virtApiSubresources } from './kubevirt/api/subresources/index.js';
import { handlerCommands } from './kubevirt/handler/index.js';
import { registerKubeVirtWebhooks } from './kubevirt/api/admission/index.js';
import { installKubeVirt } from './kubevirt/install.js';
import { mergeIntoKubeconfig, writeKubeconfig } from './server/kubeconfig.js';
import { OpenApiService } from './server/openapi/service.js';
import type { ApiServerParts, VersionInfo } from './server/parts.js';
import { loadOrCreateCertificates } from './server/tls.js';
import { RequestMetrics, registerMetricsRoute } from './server/metrics.js';
import { Store } from './storage/store.js';
import { startControlPlane } from './cluster/control-plane.js';
import { defaultTolerationSecondsPlugin, nodeFaults, type NodeFaults } from './cluster/nodes/index.js';
import { ServiceIpAllocator } from './cluster/workloads/service-ip-allocator.js';
import { builtinProfile } from './simulation/profile.js';
import { ApiFaultInjector, registerApiFaults } from './simulation/api-faults.js';
import { registerWebhookFaults } from './simulation/webhook-faults.js';

export interface EmulatorOptions {
  /** Port to listen on; 0 picks a free one. Default 6443. */
  port?: number;
  host?: string;
  /** Write a standalone kubeconfig here; without it, merge a `kubevirt-emulator` context into $KUBECONFIG or ~/.kube/config. */
  kubeconfigPath?: string;
  insecureHttp?: boolean;
  /** Simulated worker nodes beside the control-plane node. */
  workers?: number;
  logLevel?: string;
  /** The Kubernetes version /version reports, e.g. v1.32.3. */
  kubeVersion?: string;
  /** Where the CA and serving certificate persist. Default ~/.kubevirt-emulator. */
  dataDir?: string;
  /** `virtual` runs simulation time only when advanced. */
  clock?: 'real' | 'virtual';
  /** Simulation timings: `instant` (default) or `realistic`. */
  profile?: string;
  /** Seed of every random choice (names, uids, jitter), so runs repeat. */
  seed?: number;
  /** Apply the embedded kubevirt-operator.yaml and kubevirt-cr.yaml at start and return once KubeVirt is Available. */
  installKubeVirt?: boolean;
}

export interface RunningEmulator {
  url: string;
  kubeconfigPath: string;
  /** An in-process client acting as the cluster admin. */
  client: Client;
  /** Simulation time; a VirtualClock when started with `clock: 'virtual'`. */
  clock: Clock;
  /** Fault injection into the simulated cluster (a node's kubelet stopping and coming back). */
  faults: { nodes: NodeFaults };
  stop(): Promise<void>;
}

/** The token every kubeconfig the emulator writes carries; kubectl over HTTPS needs some credential. */
export const emulatorToken = 'kubevirt-emulator-token';

export function versionInfo(gitVersion: string): VersionInfo {
  const match = /^v(\d+)\.(\d+)/.exec(gitVersion);
  if (!match) throw new Error(`--kube-version must look like v1.32.3, got "${gitVersion}"`);
  return {
    major: match[1],
    minor: match[2],
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const wallClock = new RealClock();
  const clock: Clock = options.clock === 'virtual' ? new VirtualClock(wallClock.now()) : wallClock;
  const random = new SeededRandom(options.seed ?? 1);
  const store = new Store();
  const types = new TypeRegistry(builtinResourceTypes());
  const admission = new AdmissionChain();
  // Every request the registry serves meets the injected API faults (Fault objects), then is counted for /metrics.
  const hooks = new RequestHooks();
  const apiFaultInjector = new ApiFaultInjector(clock, random);
  registerApiFaults(clock, apiFaultInjector);
  hooks.add(apiFaultInjector);
  const metrics = new RequestMetrics();
  hooks.add(metrics);
  const registry = new GenericRegistry({ store, schemas: new DefaultSchemaCatalog((type) => store.get(crdStorageKey, '', `${type.plural}.${type.group}`)), admission, clock, random, hooks });
  const openapi = new OpenApiService(types.groups().flatMap((g) => g.versions.map((v) => (g.name ? `${g.name}/${v}` : v))));
  // --authorization-mode=Node,RBAC, for HTTP requests and in-process components alike.
  const authorizer = new Authorizer(new RuleResolver(store));
  const parts: ApiServerParts = {
    authorizer,
    store,
    types,
    registry,
    openapi,
    clock,
    wallClock,
    subresources: new Map(),
    virtualCreates: new Map(),
    version: versionInfo(options.kubeVersion ?? 'v1.32.3'),
    openWatches: new Set(),
  };
  registerReviews(parts);
  parts.subresources.set('/serviceaccounts/token', tokenRequestHandler(registry, clock));
  const crds = new CrdServing(store, types, clock, (established) => openapi.setCustomResourceDefinitions(established));
  crds.start();

  const dataDir = options.dataDir ?? join(homedir(), '.kubevirt-emulator');
  const tls = options.insecureHttp ? undefined : await loadOrCreateCertificates(dataDir, [host]);
  // Admission plugins of the apiserver itself (kube-apiserver's defaults for these two).
  admission.addMutating(defaultTolerationSecondsPlugin);
  admission.addMutating(new ServiceIpAllocator({ listServices: () => store.list(types.byKind('v1', 'Service')!.storageKey) }));
  admission.addValidating(nodeRestriction);
  admission.addValidating(escalationCheck(authorizer));

  const client = new InProcessClient({ store, types, registry, clock, authorizer }, adminUser);
  const clientFor = (identity: ComponentIdentity) => client.as(identityUser(identity), identityAgent(identity));
  await bootstrapNamespaces(registry, types);
  const apiserverContext = newContext(identityUser({ component: 'kube-apiserver' }), { userAgent: 'kube-apiserver' });
  await ensureBootstrapPolicy((object) => registry.create(types.byKind(object.apiVersion, object.kind)!, object.metadata.namespace, object, apiserverContext));
  const profile = builtinProfile(options.profile ?? 'instant');
  if (!profile) throw new Error(`unknown simulation profile "${options.profile}"`);
  const controlPlane = await startControlPlane({
    // The shared informers read as system:kube-controller-manager (list/watch on everything); each component writes as itself.
    client: clientFor({ component: 'kube-controller-manager' }),
    clientFor,
    clock,
    parts,
    workers: options.workers ?? 2,
    random,
    profile,
    verbose: options.logLevel === 'debug',
    workloads: {
      namespacedKinds: () => namespacedKinds(types),
      rootCaPem: tls?.caPem,
    },
  });

  // Dynamic admission: the webhook configurations in the store, served in-process by the emulated components (virt-api, virt-operator).
  const webhookBackends = new WebhookBackends();
  registerWebhookFaults(clock, webhookBackends);
  const virtApiClient = clientFor({ component: 'virt-api', namespace: 'kubevirt' });
  registerKubeVirtWebhooks(webhookBackends, { ...controlPlane.context, client: virtApiClient });
  registerWebhookAdmission(admission, { informers: controlPlane.context.informers, client, backends: webhookBackends, clock, random, resourceTypes: () => types.all() });

  const app = buildApp(parts, { https: tls ? { key: tls.keyPem, cert: tls.certPem } : undefined, logLevel: options.logLevel });
  registerMetricsRoute(app, metrics);
  // virt-api's aggregated API, served through the APIService virt-operator registers, while virt-api is ready.
  const virtApi = virtApiSubresources({
    client: virtApiClient,
    handler: handlerCommands(clock),
    kubernetesVersion: parts.version.gitVersion,
  });
  registerAggregatedApis(app, parts, new Map([[VIRT_API_SERVICE, virtApi]]));
  registerClockControl(app, clock);
  await app.listen({ port: options.port ?? 6443, host });
  const port = (app.server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `${tls ? 'https' : 'http'}://${urlHost}:${port}`;

  const kubeconfig = { server: url, caPem: tls?.caPem, token: emulatorToken, contextName: 'kubevirt-emulator', insecure: !tls };
  const kubeconfigPath = options.kubeconfigPath ? await writeKubeconfig(options.kubeconfigPath, kubeconfig) : await mergeIntoKubeconfig(undefined, kubeconfig);

  const emulator: RunningEmulator = {
    url,
    kubeconfigPath,
    client,
    clock,
    faults: { nodes: nodeFaults(controlPlane.context) },
    async stop() {
      for (const close of [...parts.openWatches]) close();
      await controlPlane.stop();
      crds.stop();
      await app.close();
    },
  };
  if (options.installKubeVirt) {
    try {
      await installKubeVirt(emulator);
    } catch (err) {
      await emulator.stop();
      throw err;
    }
  }
  return emulator;
}

/** The namespaces every cluster starts with. */
async function bootstrapNamespaces(registry: GenericRegistry, types: TypeRegistry): Promise<void> {
  const namespaceType = types.byKind('v1', 'Namespace')!;
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await registry.create(namespaceType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, newContext(adminUser));
  }
}

/** One served version of every namespaced resource that can be listed and deleted: what a namespace deletion empties. */
function namespacedKinds(types: TypeRegistry) {
  const byStorage = new Map<string, ResourceType>();
  for (const t of types.all()) {
    if (t.namespaced && t.verbs.includes('list') && t.verbs.includes('delete') && !byStorage.has(t.storageKey)) byStorage.set(t.storageKey, t);
  }
  return [...byStorage.values()].map((t) => ({ apiVersion: apiVersionOf(t.group, t.version), kind: t.kind, plural: t.plural }));
}
