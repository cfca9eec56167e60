import t from 'tap';
import { AdmissionChain } from '../../../../../src/admission/chain.js';
import { builtinResourceTypes } from '../../../../../src/api/builtin-types.js';
import { newContext } from '../../../../../src/api/registry/context.js';
import { GenericRegistry } from '../../../../../src/api/registry/registry.js';
import { DefaultSchemaCatalog } from '../../../../../src/api/schema-catalog.js';
import { TypeRegistry } from '../../../../../src/api/type-registry.js';
import type { KubeObject } from '../../../../../src/api/types.js';
import { Authorizer } from '../../../../../src/auth/authorization/authorizer.js';
import { NodeAuthorizer } from '../../../../../src/auth/authorization/node-authorizer.js';
import { NodeGraph } from '../../../../../src/auth/authorization/node-graph.js';
import { RuleResolver } from '../../../../../src/auth/rbac/rule-resolver.js';
import { adminUser } from '../../../../../src/auth/user.js';
import { versionInfo } from '../../../../../src/emulator.js';
import { RealClock } from '../../../../../src/runtime/clock.js';
import { SeededRandom } from '../../../../../src/runtime/seeded-random.js';
import {
  registerAggregatedApis,
  resourcesToDiscovery,
  type AggregatedBackend,
  type BackendRequest,
} from '../../../../../src/server/aggregator/aggregation.js';
import { buildApp } from '../../../../../src/server/app.js';
import { OpenApiService } from '../../../../../src/server/openapi/service.js';
import type { ApiServerParts } from '../../../../../src/server/parts.js';
import { Store } from '../../../../../src/storage/store.js';

const DISCOVERY_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

/** An apiserver without the cluster: enough to register APIServices and Endpoints and see the aggregator answer. */
function server(backend: AggregatedBackend) {
  const clock = new RealClock();
  const store = new Store();
  const types = new TypeRegistry(builtinResourceTypes());
  const registry = new GenericRegistry({
    store,
    schemas: new DefaultSchemaCatalog(() => undefined),
    admission: new AdmissionChain(),
    clock,
    random: new SeededRandom(1),
  });
  const parts: ApiServerParts = {
    // No RBAC objects: every request here is the admin's (system:masters), which the authorizer lets through.
    authorizer: new Authorizer(new RuleResolver(store), new NodeAuthorizer(new NodeGraph(store))),
    store,
    types,
    registry,
    openapi: new OpenApiService([]),
    clock,
    wallClock: clock,
    subresources: new Map(),
    virtualCreates: new Map(),
    version: versionInfo('v1.32.3'),
    openWatches: new Set(),
  };
  const app = buildApp(parts, { authenticate: async () => adminUser });
  registerAggregatedApis(app, parts, new Map([['kubevirt/virt-api', backend]]), async () => adminUser);
  type Manifest = Omit<KubeObject, 'apiVersion' | 'kind'> & { [field: string]: unknown; metadata: KubeObject['metadata'] };
  const create = (apiVersion: string, kind: string, obj: Manifest) =>
    registry.create(
      types.byKind(apiVersion, kind)!,
      obj.metadata.namespace,
      { ...obj, apiVersion, kind } as KubeObject,
      newContext(adminUser),
    );
  return { app, create, registry, types };
}

const apiService = (version: string) => ({
  metadata: { name: `${version}.subresources.kubevirt.io` },
  spec: {
    group: 'subresources.kubevirt.io',
    version,
    service: { namespace: 'kubevirt', name: 'virt-api' },
    groupPriorityMinimum: 1000,
    versionPriority: 15,
  },
});

const readyEndpoints = {
  metadata: { namespace: 'kubevirt', name: 'virt-api' },
  subsets: [{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 8443 }] }],
};

function recordingBackend() {
  const requests: BackendRequest[] = [];
  const backend: AggregatedBackend = {
    async serve(request) {
      requests.push(request);
      if (request.path === '/apis/subresources.kubevirt.io/v1' || request.path === '/apis/subresources.kubevirt.io/v1alpha3') {
        return {
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({
            resources: [
              { name: 'expand-vm-spec', namespaced: true },
              { name: 'virtualmachines/start', namespaced: true },
              { name: 'virtualmachines/evacuate/cancel', namespaced: true },
            ],
          }),
        };
      }
      return { status: 202 };
    },
    upgrade: () => undefined,
  };
  return { backend, requests };
}

t.test('no APIService: the group is unknown and its paths 404 as any unknown group', async (t) => {
  const { backend } = recordingBackend();
  const { app } = server(backend);
  t.teardown(() => app.close());
  t.equal((await app.inject({ method: 'GET', url: '/apis/subresources.kubevirt.io/v1' })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: '/apis/subresources.kubevirt.io' })).statusCode, 404);
  const groups = (await app.inject({ method: 'GET', url: '/apis' })).json() as { groups: Array<{ name: string }> };
  t.notOk(groups.groups.some((g) => g.name === 'subresources.kubevirt.io'));
});

t.test('APIService without a ready endpoint: listed in discovery, requests get the aggregator 503', async (t) => {
  const { backend, requests } = recordingBackend();
  const { app, create } = server(backend);
  t.teardown(() => app.close());
  await create('apiregistration.k8s.io/v1', 'APIService', apiService('v1'));
  await create('apiregistration.k8s.io/v1', 'APIService', apiService('v1alpha3'));
  await create('v1', 'Namespace', { metadata: { name: 'kubevirt' } });
  await create('v1', 'Endpoints', {
    metadata: { namespace: 'kubevirt', name: 'virt-api' },
    subsets: [{ notReadyAddresses: [{ ip: '10.244.0.5' }] }],
  });

  const put = await app.inject({
    method: 'PUT',
    url: '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/vm1/start',
    payload: '{}',
  });
  t.equal(put.statusCode, 503);
  t.equal(put.body, 'service unavailable\n');
  t.match(put.headers['content-type'], /^text\/plain/);
  t.equal(requests.length, 0, 'nothing reached the backend');

  const legacy = (await app.inject({ method: 'GET', url: '/apis' })).json() as {
    groups: Array<{ name: string; versions: unknown[]; preferredVersion: unknown }>;
  };
  t.same(legacy.groups.at(-1), {
    name: 'subresources.kubevirt.io',
    versions: [
      { groupVersion: 'subresources.kubevirt.io/v1', version: 'v1' },
      { groupVersion: 'subresources.kubevirt.io/v1alpha3', version: 'v1alpha3' },
    ],
    preferredVersion: { groupVersion: 'subresources.kubevirt.io/v1', version: 'v1' },
  });
  const aggregated = (await app.inject({ method: 'GET', url: '/apis', headers: { accept: DISCOVERY_ACCEPT } })).json() as {
    items: Array<{ metadata: { name: string }; versions: Array<{ version: string; resources: unknown[] }> }>;
  };
  const item = aggregated.items.at(-1)!;
  t.equal(item.metadata.name, 'subresources.kubevirt.io');
  t.same(
    item.versions.map((v) => [v.version, v.resources.length]),
    [
      ['v1', 0],
      ['v1alpha3', 0],
    ],
    'versions without resources while the backend is down',
  );
  const group = await app.inject({ method: 'GET', url: '/apis/subresources.kubevirt.io' });
  t.equal(group.statusCode, 200);
  t.equal(group.json().name, 'subresources.kubevirt.io');
});

t.test('with a ready endpoint the request is forwarded with its body, and discovery carries the backend resources', async (t) => {
  const { backend, requests } = recordingBackend();
  const { app, create } = server(backend);
  t.teardown(() => app.close());
  await create('apiregistration.k8s.io/v1', 'APIService', apiService('v1'));
  await create('v1', 'Namespace', { metadata: { name: 'kubevirt' } });
  await create('v1', 'Endpoints', readyEndpoints);

  const put = await app.inject({
    method: 'PUT',
    url: '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/vm1/start?x=1',
    payload: '{"paused":true}',
  });
  t.equal(put.statusCode, 202);
  t.equal(requests[0].method, 'PUT');
  t.equal(requests[0].path, '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/vm1/start');
  t.equal(requests[0].query.get('x'), '1');
  t.equal(requests[0].body?.toString(), '{"paused":true}');

  const aggregated = await app.inject({ method: 'GET', url: '/apis', headers: { accept: DISCOVERY_ACCEPT } });
  t.match(aggregated.headers['content-type'], /APIGroupDiscoveryList/);
  const item = (
    aggregated.json() as { items: Array<{ metadata: { name: string }; versions: Array<{ resources: Array<{ resource: string }> }> }> }
  ).items.at(-1)!;
  t.same(
    item.versions[0].resources.map((r) => r.resource),
    ['expand-vm-spec', 'virtualmachines'],
  );
});

t.test('an APIResourceList becomes aggregated discovery the way the aggregator converts it', async (t) => {
  const converted = resourcesToDiscovery({
    resources: [
      { name: 'expand-vm-spec', namespaced: true },
      { name: 'virtualmachines/start', namespaced: true },
      { name: 'virtualmachines/evacuate/cancel', namespaced: true },
    ],
  });
  t.same(converted, [
    {
      resource: 'expand-vm-spec',
      responseKind: { group: '', version: '', kind: '' },
      scope: 'Namespaced',
      singularResource: '',
      verbs: [],
    },
    {
      resource: 'virtualmachines',
      responseKind: { group: '', version: '', kind: '' },
      scope: 'Namespaced',
      singularResource: '',
      verbs: [],
      subresources: [
        { subresource: 'start', responseKind: { group: '', version: '', kind: '' }, verbs: [] },
        { subresource: 'evacuate/cancel', responseKind: { group: '', version: '', kind: '' }, verbs: [] },
      ],
    },
  ]);
});
