/**
 * Assembles and runs one emulator: store, types, registry, HTTP server and
 * the in-cluster components. `startEmulator` is the programmatic API users'
 * own tests call; the CLI's `serve` is a thin wrapper around it.
 */
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AdmissionChain } from './admission/chain.js';
import { WebhookBackends, registerWebhookAdmission } from './admission/webhooks/index.js';
import { registerPolicyAdmission } from './admission/policy/plugin.js';
import { builtinResourceTypes } from './api/builtin-types.js';
import { CrdServing, crdStorageKey } from './api/crd-serving.js';
import { crdVersionSchema } from './api/crd/crd-types.js';
import { GenericRegistry } from './api/registry/registry.js';
import { RequestHooks } from './api/registry/request-hooks.js';
import { newContext } from './api/registry/context.js';
import { DefaultSchemaCatalog } from './api/schema-catalog.js';
import { TypeRegistry } from './api/type-registry.js';
import { apiVersionOf, type KubeObject, type ResourceType } from './api/types.js';
import { adminUser } from './auth/user.js';
import { Authorizer } from './auth/authorization/authorizer.js';
import { NodeAuthorizer } from './auth/authorization/node-authorizer.js';
import { NodeGraph } from './auth/authorization/node-graph.js';
import { nodeRestriction } from './auth/authorization/node-restriction.js';
import { identityAgent, identityUser, type ComponentIdentity } from './auth/identities.js';
import { ensureBootstrapPolicy } from './auth/rbac/bootstrap-policy.js';
import { escalationCheck } from './auth/rbac/escalation.js';
import { RuleResolver } from './auth/rbac/rule-resolver.js';
import { registerReviews } from './auth/reviews.js';
import { tokenRequestHandler } from './auth/token-request.js';
import { loadAuthentication } from './auth/authentication/index.js';
import { registerAuthenticationReviews } from './auth/authentication/reviews.js';
import { storeLookup } from './auth/authentication/object-lookup.js';
import { checkInsecureHost } from './server/insecure-http.js';
import type { Client, KindRef } from './client/client.js';
import { InProcessClient } from './client/in-process.js';
import { PodPorts } from './runtime/pod-ports.js';
import { RealClock, VirtualClock, type Clock } from './runtime/clock.js';
import { consoleLogger, silentLogger } from './runtime/logger.js';
import { SeededRandom } from './runtime/seeded-random.js';
import { ComponentManager } from './runtime/component.js';
import { LeaderElected, runAlways, type Elect } from './kube/leader-election.js';
import { asIdentity, type ComponentContext } from './runtime/component-context.js';
import { SharedInformerFactory } from './runtime/informer.js';
import { logSubscriberErrors } from './runtime/subscriber-errors.js';
import { buildApp } from './server/app.js';
import { registerAggregatedApis } from './server/aggregator/aggregation.js';
import { registerClockControl } from './server/clock-control.js';
import { registerIssuerDiscovery } from './server/issuer-discovery.js';
import { VIRT_API_SERVICE, virtApiSubresources } from './kubevirt/api/subresources/index.js';
import { handlerCommands, handlerFaults } from './kubevirt/handler/index.js';
import { KUBEVIRT_SERVICE_ACCOUNT_NAMESPACE, kubevirtComponents, type KubeVirtComponent } from './kubevirt/index.js';
import { registerKubeVirtWebhooks } from './kubevirt/api/admission/index.js';
import { installKubeVirt } from './kubevirt/install.js';
import { mergeIntoKubeconfig, writeKubeconfig } from './server/kubeconfig.js';
import { OpenApiService } from './server/openapi/service.js';
import type { ApiServerParts, VersionInfo } from './server/parts.js';
import { loadOrCreateCertificates } from './pki/certificates.js';
import { defaultInFlightLimits } from './server/limits.js';
import { RequestMetrics, registerMetricsRoute } from './server/metrics.js';
import type { StorageBackend } from './storage/backend.js';
import { EtcdKeyLayout } from './storage/etcd-keys.js';
import { Store } from './storage/store.js';
import { defaultDataDir, openStateFile } from './storage/state-file.js';
import { startCompaction } from './storage/compactor.js';
import { clusterComponents, type ClusterOptions } from './cluster/control-plane.js';
import { CLUSTER_NAME, defaultTolerationSecondsPlugin, nodeFaults, ownedByPrefix, type NodeFaults } from './cluster/nodes/index.js';
import { priorityAdmission, systemPriorityClasses } from './cluster/scheduling/priority-admission.js';
import { serviceAccountAdmission } from './cluster/housekeeping/serviceaccount-admission.js';
import { ServiceIpAllocator } from './cluster/services/service-ip-allocator.js';
import { defaultStorageClassPlugin } from './cluster/volumes/index.js';
import { clusterAddonObjects } from './cluster/addons/manifests.js';
import { cdiComponents, cdiInstallObjects } from './cdi/index.js';
import { NodePortAllocator } from './cluster/services/node-port-allocator.js';
import { apiServiceControllers } from './server/aggregator/apiservice-controllers.js';
import { builtinProfile } from './simulation/profile.js';
import { faultComponents } from './simulation/faults.js';
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
  /**
   * Keep the cluster in this SQLite file (created owner-only when absent), so a restart brings every object back;
   * without it the cluster lives in memory only. `serve` uses <dataDir>/state.db unless --in-memory.
   */
  stateFile?: string;
  /** Keep the cluster in etcd instead (kube-apiserver's --etcd-servers), under `etcdPrefix` (default /registry). */
  etcdServers?: string[];
  etcdPrefix?: string;
  /** With etcdServers: the nodes this emulator adds and simulates are `<nodePrefix>-worker...` (default: kind's, with the control plane). */
  nodePrefix?: string;
  /** `virtual` runs simulation time only when advanced. */
  clock?: 'real' | 'virtual';
  /** Simulation timings: `instant` (default) or `realistic`. */
  profile?: string;
  /** Seed of every random choice (names, uids, jitter), so runs repeat. */
  seed?: number;
  /** Apply the embedded kubevirt-operator.yaml and kubevirt-cr.yaml at start and return once KubeVirt is Available. */
  installKubeVirt?: boolean;
  /** Install a simulated CDI (src/cdi): its CRDs and objects at start, and its controllers. */
  installCdi?: boolean;
  /** How long an Event is kept after its last write, in clock time (kube-apiserver's --event-ttl). Default one hour. */
  eventTtlMs?: number;
  /** kube-apiserver's --max-requests-inflight (default 400; 0: no limit). */
  maxRequestsInflight?: number;
  /** kube-apiserver's --max-mutating-requests-inflight (default 200; 0: no limit). */
  maxMutatingRequestsInflight?: number;
}

export interface RunningEmulator {
  url: string;
  kubeconfigPath: string;
  /** An in-process client acting as the cluster admin. */
  client: Client;
  /** A bearer token of kubernetes-admin (system:masters) for raw HTTP clients; the kubeconfig carries a client certificate. */
  adminToken: string;
  /** Simulation time; a VirtualClock when started with `clock: 'virtual'`. */
  clock: Clock;
  /** Fault injection into the simulated cluster (a node's kubelet stopping and coming back). */
  faults: { nodes: NodeFaults };
  /** The kinds the simulated components watch (tests that feed every controller list them here). */
  watchedKinds(): KindRef[];
  /** Cached objects the components' informers have handed out so far (tests bound the reads one change costs). */
  componentReads(): number;
  stop(): Promise<void>;
}

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

/** Where the cluster is kept: etcd, an SQLite file, or (undefined) memory only. */
async function openBackend(options: EmulatorOptions): Promise<StorageBackend | undefined> {
  if (options.etcdServers) {
    const layout = new EtcdKeyLayout(
      options.etcdPrefix ?? '/registry',
      builtinResourceTypes().map((type) => type.storageKey),
    );
    // Loaded only for etcd: its gRPC client costs every process a fifth of a second to import.
    const { EtcdBackend } = await import('./storage/etcd-backend.js');
    return EtcdBackend.connect(options.etcdServers, layout);
  }
  return options.stateFile ? openStateFile(options.stateFile) : undefined;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  logSubscriberErrors(options.logLevel === 'silent' ? silentLogger : consoleLogger('kubevirt-emulator'));
  if (options.insecureHttp) checkInsecureHost(host);
  const wallClock = new RealClock();
  const clock: Clock = options.clock === 'virtual' ? new VirtualClock(wallClock.now()) : wallClock;
  const random = new SeededRandom(options.seed ?? 1);
  const store = new Store(undefined, clock, await openBackend(options));
  const stopCompaction = startCompaction(store, clock);
  const types = new TypeRegistry(builtinResourceTypes());
  const admission = new AdmissionChain();
  // Every request the registry serves meets the injected API faults (Fault objects), then is counted for /metrics.
  const hooks = new RequestHooks();
  const apiFaultInjector = new ApiFaultInjector(clock, random);
  registerApiFaults(clock, apiFaultInjector);
  hooks.add(apiFaultInjector);
  const metrics = new RequestMetrics();
  hooks.add(metrics);
  const schemas = new DefaultSchemaCatalog((type) => store.get(crdStorageKey, '', `${type.plural}.${type.group}`));
  const registry = new GenericRegistry({ store, schemas, admission, clock, random, hooks, eventTtlMs: options.eventTtlMs });
  const openapi = new OpenApiService(types.groups().flatMap((g) => g.versions.map((v) => (g.name ? `${g.name}/${v}` : v))));
  // --authorization-mode=Node,RBAC, for HTTP requests and in-process components alike.
  const authorizer = new Authorizer(new RuleResolver(store), new NodeAuthorizer(new NodeGraph(store)));
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
  const crds = new CrdServing(store, types, clock, (established) => openapi.setCustomResourceDefinitions(established));
  crds.start();

  const dataDir = options.dataDir ?? defaultDataDir();
  const tls = options.insecureHttp ? undefined : await loadOrCreateCertificates(dataDir, [host]);
  const authn = await loadAuthentication({ dataDir, clock, ca: tls?.ca, lookup: storeLookup(store, types) });
  registerAuthenticationReviews(parts, authn.authenticator);
  parts.subresources.set('/serviceaccounts/token', tokenRequestHandler(registry, types, authn.serviceAccountTokens, clock));
  // Admission plugins of the apiserver itself (among kube-apiserver's defaults).
  admission.addMutating(serviceAccountAdmission);
  admission.addMutating(defaultTolerationSecondsPlugin);
  const priorityClassKey = types.byKind('scheduling.k8s.io/v1', 'PriorityClass')!.storageKey;
  admission.addMutating(
    priorityAdmission({
      priorityClass: (name) => store.get(priorityClassKey, '', name),
      priorityClasses: () => store.list(priorityClassKey),
    }),
  );
  const listServices = () => store.list(types.byKind('v1', 'Service')!.storageKey);
  admission.addMutating(new ServiceIpAllocator({ listServices }));
  admission.addMutating(new NodePortAllocator({ listServices, random: () => random.next() }));
  admission.addMutating(defaultStorageClassPlugin(() => store.list(types.byKind('storage.k8s.io/v1', 'StorageClass')!.storageKey)));
  admission.addValidating(nodeRestriction);
  admission.addValidating(escalationCheck(authorizer));

  const client = new InProcessClient({ store, types, registry, clock, authorizer }, adminUser);
  const clientFor = (identity: ComponentIdentity) => client.as(identityUser(identity), identityAgent(identity));
  await bootstrapNamespaces(registry, types);
  const apiserverContext = newContext(identityUser({ component: 'kube-apiserver' }), { userAgent: 'kube-apiserver' });
  await ensureBootstrapPolicy((object) =>
    registry.create(types.byKind(object.apiVersion, object.kind)!, object.metadata.namespace, object, apiserverContext),
  );
  await createAddons(registry, types, clusterAddonObjects());
  if (options.installCdi) await createAddons(registry, types, cdiInstallObjects());
  const profile = builtinProfile(options.profile ?? 'instant');
  if (!profile) throw new Error(`unknown simulation profile "${options.profile}"`);
  const components = await startComponents({
    clientFor,
    clock,
    random,
    profile,
    logger: options.logLevel === 'debug' ? consoleLogger('cluster') : silentLogger,
    serveSubresource: (key, handler) => parts.subresources.set(key, handler),
    serveContainerStreams: (handler) => {
      parts.containerStreams = handler;
    },
    servePortForward: (handler) => {
      parts.portForward = handler;
    },
    podPorts: new PodPorts(),
    cdi: options.installCdi === true,
    // client-go's default identity: the host name and a unique suffix.
    ...(options.etcdServers && { leaderIdentity: `${hostname()}_${randomUUID()}` }),
    cluster: {
      workers: options.workers ?? 2,
      ...(options.etcdServers && { nodePrefix: options.nodePrefix ?? CLUSTER_NAME }),
      namespacedKinds: () => namespacedKinds(types),
      rootCaPem: tls?.caPem,
      signLegacyToken: (serviceAccount, secret) => authn.serviceAccountTokens.issueLegacy(serviceAccount, secret),
    },
  });
  const virtApiClient = clientFor({ component: 'virt-api', namespace: KUBEVIRT_SERVICE_ACCOUNT_NAMESPACE });

  // Dynamic admission: the webhook configurations in the store, served in-process by the emulated components (virt-api, virt-operator).
  const webhookBackends = new WebhookBackends();
  registerWebhookFaults(clock, webhookBackends);
  registerKubeVirtWebhooks(webhookBackends, { ...components.context, client: virtApiClient });
  // ValidatingAdmissionPolicy runs just before the validating webhooks, as in kube-apiserver's plugin order.
  registerPolicyAdmission(admission, {
    informers: components.context.informers,
    client,
    resourceTypes: () => types.all(),
    customSchema: (type) => crdVersionSchema(store.get(crdStorageKey, '', `${type.plural}.${type.group}`), type.version),
    logger: components.context.logger,
    authorize: (user, a) =>
      authorizer.authorize(
        user,
        a.path !== undefined
          ? { kind: 'nonResource', verb: a.verb, path: a.path }
          : { kind: 'resource', ...a, apiGroup: a.apiGroup ?? '', resource: a.resource ?? '' },
      ),
  });
  registerWebhookAdmission(admission, {
    informers: components.context.informers,
    client,
    backends: webhookBackends,
    clock,
    random,
    resourceTypes: () => types.all(),
    logger: components.context.logger,
  });

  const inFlight = {
    maxRequestsInflight: options.maxRequestsInflight ?? defaultInFlightLimits.maxRequestsInflight,
    maxMutatingRequestsInflight: options.maxMutatingRequestsInflight ?? defaultInFlightLimits.maxMutatingRequestsInflight,
  };
  const app = buildApp(parts, {
    https: tls ? { key: tls.keyPem, cert: tls.certPem, clientCa: tls.caPem } : undefined,
    authenticate: (req) => authn.authenticator.authenticate(req),
    logLevel: options.logLevel,
    inFlight,
  });
  registerMetricsRoute(app, metrics);
  registerIssuerDiscovery(app, authn.serviceAccountTokens);
  // virt-api's aggregated API, served through the APIService virt-operator registers, while virt-api is ready.
  const virtApi = virtApiSubresources({
    client: virtApiClient,
    handler: handlerCommands(clock),
    kubernetesVersion: parts.version.gitVersion,
  });
  const aggregatedBackends = new Map([[VIRT_API_SERVICE, virtApi]]);
  registerAggregatedApis(app, parts, aggregatedBackends, (req) => authn.authenticator.authenticate(req));
  // kube-aggregator's autoregistration and availability controllers, on the apiserver's loopback client.
  const aggregatorControllers = new ComponentManager();
  for (const component of apiServiceControllers({
    client,
    informers: components.context.informers,
    clock,
    logger: components.context.logger,
    builtinApiVersions: () => [
      ...new Set(
        types
          .all()
          .filter((t) => !t.custom)
          .map((t) => apiVersionOf(t.group, t.version)),
      ),
    ],
    hasBackend: (service) => aggregatedBackends.has(service),
  })) {
    aggregatorControllers.add(component);
  }
  await aggregatorControllers.start();
  registerClockControl(app, clock);
  await app.listen({ port: options.port ?? 6443, host });
  const port = (app.server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `${tls ? 'https' : 'http'}://${urlHost}:${port}`;

  // As kind's: kubernetes-admin's client certificate over HTTPS; over plain HTTP (no client certificates) the admin token.
  const credentials = authn.adminCertificate ? { clientCertificate: authn.adminCertificate } : { token: authn.adminToken };
  const kubeconfig = { server: url, caPem: tls?.caPem, ...credentials, contextName: 'kubevirt-emulator', insecure: !tls };
  const kubeconfigPath = options.kubeconfigPath
    ? await writeKubeconfig(options.kubeconfigPath, kubeconfig)
    : await mergeIntoKubeconfig(undefined, kubeconfig);

  const emulator: RunningEmulator = {
    url,
    kubeconfigPath,
    client,
    adminToken: authn.adminToken,
    clock,
    faults: { nodes: nodeFaults(components.context) },
    watchedKinds: () => components.context.informers.kinds(),
    componentReads: () => components.context.informers.objectsRead(),
    async stop() {
      for (const close of [...parts.openWatches]) close();
      await aggregatorControllers.stop();
      await components.stop();
      crds.stop();
      stopCompaction();
      store.close();
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

interface ComponentsOptions extends Omit<ComponentContext, 'informers' | 'client' | 'clientFor'> {
  /** The client of a component's own identity (src/auth/identities.ts): each component writes as itself. */
  clientFor: (identity: ComponentIdentity) => Client;
  cluster: ClusterOptions;
  /** Run the simulated CDI (its objects were created at start). */
  cdi: boolean;
  /** Several emulators serve this cluster (etcd): the controllers run under leader-election Leases, this the holder's name. */
  leaderIdentity?: string;
}

/**
 * Runs every simulated component over one set of shared informers, which read as system:kube-controller-manager
 * (list and watch on everything); each component writes as its own identity: the cluster's controllers as their
 * kube-system ServiceAccounts, kubelets as their nodes, KubeVirt's components as the ServiceAccounts virt-operator
 * runs them under (virt-api tells them apart), the emulator's fault controller as the API server.
 */
async function startComponents(options: ComponentsOptions): Promise<{ context: ComponentContext; stop(): Promise<void> }> {
  const { cluster, clientFor, leaderIdentity, cdi, ...shared } = options;
  const client = clientFor({ component: 'kube-controller-manager' });
  const context: ComponentContext = {
    ...shared,
    client,
    clientFor,
    informers: new SharedInformerFactory(client, { clock: shared.clock, logger: shared.logger }),
  };
  const kubevirtAs = (component: KubeVirtComponent): ComponentContext =>
    asIdentity(context, { component, namespace: KUBEVIRT_SERVICE_ACCOUNT_NAMESPACE });
  const apiserver = asIdentity(context, { component: 'kube-apiserver' });
  const manager = new ComponentManager(shared.logger);
  const elect: Elect | undefined =
    leaderIdentity === undefined ? undefined : (lock, group) => [new LeaderElected(apiserver, lock, leaderIdentity, group)];
  const components = [
    ...clusterComponents(context, { ...cluster, elect }),
    ...kubevirtComponents(kubevirtAs, {
      elect,
      ...(cluster.nodePrefix !== undefined && { ownsNode: ownedByPrefix(cluster.nodePrefix) }),
    }),
    ...(cdi ? (elect ?? runAlways)({ namespace: 'cdi', name: 'cdi-controller-leader-election-helper' }, cdiComponents(context)) : []),
    ...faultComponents(apiserver, { kubelets: () => nodeFaults(apiserver), guests: () => handlerFaults(apiserver) }),
  ];
  for (const component of components) manager.add(component);
  // Started first: informers components ask for later start at once, so no component waits on an idle one.
  context.informers.start();
  await manager.start();
  return {
    context,
    async stop() {
      await manager.stop();
      context.informers.stop();
    },
  };
}

/** The namespaces and system PriorityClasses every cluster starts with. */
async function bootstrapNamespaces(registry: GenericRegistry, types: TypeRegistry): Promise<void> {
  const namespaceType = types.byKind('v1', 'Namespace')!;
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    await createUnlessPresent(registry, namespaceType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const priorityClassType = types.byKind('scheduling.k8s.io/v1', 'PriorityClass')!;
  for (const priorityClass of systemPriorityClasses) await createUnlessPresent(registry, priorityClassType, undefined, priorityClass);
}

/**
 * Creates a bootstrap object as the cluster admin unless the cluster has it: a cluster restarted from its stored state
 * keeps what it started with (and whatever a user changed in it), as kube's bootstrap controllers leave existing objects.
 * Looked up first, as those controllers do: creating a duplicate runs admission and allocation before the store finds
 * the name taken (kube-dns's fixed cluster IP would answer "already allocated", not AlreadyExists).
 */
async function createUnlessPresent(
  registry: GenericRegistry,
  type: ResourceType,
  namespace: string | undefined,
  object: KubeObject,
  context = newContext(adminUser),
): Promise<void> {
  if (registry.listAll(type, namespace).some((existing) => existing.metadata.name === object.metadata.name)) return;
  await registry.create(type, namespace, object, context);
}

/**
 * The cluster's add-ons (src/cluster/addons), created as kind applies its manifests: by the cluster admin, before any
 * controller runs. A CRD's kind is served a microtask after the CRD is stored, so an object of it waits that long.
 */
async function createAddons(registry: GenericRegistry, types: TypeRegistry, objects: readonly KubeObject[]): Promise<void> {
  const context = newContext(adminUser, { userAgent: 'kubectl' });
  for (const object of objects) {
    let type = types.byKind(object.apiVersion, object.kind);
    if (!type) await new Promise<void>((resolve) => setImmediate(resolve));
    type = types.byKind(object.apiVersion, object.kind);
    if (!type) throw new Error(`add-on ${object.kind} ${object.metadata.name}: ${object.apiVersion} is not served`);
    // kind's StorageClass names a namespace, which kubectl drops for a cluster-scoped kind.
    const { namespace, ...clusterMetadata } = object.metadata;
    const stored = type.namespaced ? object : { ...object, metadata: clusterMetadata };
    await createUnlessPresent(registry, type, type.namespaced ? namespace : undefined, structuredClone(stored), context);
  }
}

/** One served version of every namespaced resource that can be listed and deleted: what a namespace deletion empties. */
function namespacedKinds(types: TypeRegistry) {
  const byStorage = new Map<string, ResourceType>();
  for (const t of types.all()) {
    if (t.namespaced && t.verbs.includes('list') && t.verbs.includes('delete') && !byStorage.has(t.storageKey))
      byStorage.set(t.storageKey, t);
  }
  return [...byStorage.values()].map((t) => ({ apiVersion: apiVersionOf(t.group, t.version), kind: t.kind, plural: t.plural }));
}
