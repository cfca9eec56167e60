import t from 'tap';
import { readFileSync } from 'node:fs';
import { builtinResourceDefinitions, type BuiltinDefinition } from '../../../src/api/builtins/resources.js';

const definitions = builtinResourceDefinitions();
// The preferred version of each resource (the table lists it first); autoscaling serves HorizontalPodAutoscalers at v2 and v1.
const byKey = new Map<string, BuiltinDefinition>();
for (const d of definitions) if (!byKey.has(`${d.group}/${d.plural}`)) byKey.set(`${d.group}/${d.plural}`, d);
const byVersion = new Set(definitions.map((d) => `${d.group}/${d.version}/${d.plural}`));
const find = (group: string, plural: string): BuiltinDefinition => {
  const d = byKey.get(`${group}/${plural}`);
  if (!d) throw new Error(`no built-in ${plural}.${group}`);
  return d;
};

interface Operation {
  'x-kubernetes-action'?: string;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string };
}
const swagger = JSON.parse(readFileSync(new URL('../../../schemas/kubernetes/openapi-v2.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};

const basePath = (d: BuiltinDefinition, namespaced: boolean, watch = false): string =>
  `${d.group ? `/apis/${d.group}/${d.version}` : '/api/v1'}${watch ? '/watch' : ''}${namespaced ? '/namespaces/{namespace}' : ''}/${d.plural}`;

/** The discovery verbs the swagger's operations imply for a resource. */
function swaggerVerbs(d: BuiltinDefinition): string[] {
  const verbs = new Set<string>();
  const actions: Record<string, string> = {
    post: 'create',
    put: 'update',
    patch: 'patch',
    delete: 'delete',
    deletecollection: 'deletecollection',
    list: 'list',
    get: 'get',
  };
  for (const path of [basePath(d, d.namespaced), `${basePath(d, d.namespaced)}/{name}`]) {
    for (const op of Object.values(swagger.paths[path] ?? {})) {
      const action = op['x-kubernetes-action'];
      if (action && actions[action]) verbs.add(actions[action]);
    }
  }
  if (swagger.paths[basePath(d, d.namespaced, true)] || swagger.paths[`${basePath(d, false, true)}`]) verbs.add('watch');
  return [...verbs].sort();
}

t.test('every definition is well-formed', async (t) => {
  t.equal(byVersion.size, definitions.length, 'no two definitions share a group, version and plural');
  for (const d of definitions) {
    t.match(d.plural, /^[a-z]+$/, `${d.kind} plural is lowercase`);
    t.equal(d.singular, d.kind.toLowerCase());
    t.equal(d.listKind, `${d.kind}List`);
    // events.k8s.io Events are kept in the core Event registry, as kube-apiserver's storage factory cohabits them.
    t.equal(d.storageKey, d.group === 'events.k8s.io' ? '/events' : `${d.group}/${d.plural}`);
    t.equal(d.custom, false);
    t.same(d.verbs, [...d.verbs].sort(), `${d.plural} verbs are sorted`);
    t.ok(d.verbs.length > 0);
    t.same(
      d.subresources.map((s) => s.name),
      d.subresources.map((s) => s.name).sort(),
      `${d.plural} subresources are sorted`,
    );
  }
});

t.test('resources, verbs and subresources agree with the Kubernetes OpenAPI', async (t) => {
  for (const d of definitions) {
    const path = basePath(d, d.namespaced);
    const gvk = Object.values(swagger.paths[path] ?? {}).find((op) => op['x-kubernetes-group-version-kind'])?.[
      'x-kubernetes-group-version-kind'
    ];
    t.same(gvk, { group: d.group, version: d.version, kind: d.kind }, `${path} serves ${d.kind}`);
    t.same(d.verbs, swaggerVerbs(d), `${d.plural}.${d.group} verbs`);
    for (const sub of d.subresources) {
      const ops = swagger.paths[`${basePath(d, d.namespaced)}/{name}/${sub.name}`] ?? {};
      const subGvk = Object.values(ops).find((op) => op['x-kubernetes-group-version-kind'])?.['x-kubernetes-group-version-kind'];
      t.same(sub.responseKind, subGvk, `${d.plural}/${sub.name} answers ${subGvk?.kind}`);
    }
  }
});

t.test('short names and categories as kubectl api-resources shows them', async (t) => {
  const expectedShortNames: Record<string, string[]> = {
    '/namespaces': ['ns'],
    '/nodes': ['no'],
    '/pods': ['po'],
    '/services': ['svc'],
    '/endpoints': ['ep'],
    '/configmaps': ['cm'],
    '/serviceaccounts': ['sa'],
    '/events': ['ev'],
    '/persistentvolumeclaims': ['pvc'],
    '/persistentvolumes': ['pv'],
    '/resourcequotas': ['quota'],
    '/limitranges': ['limits'],
    '/replicationcontrollers': ['rc'],
    'apps/deployments': ['deploy'],
    'apps/replicasets': ['rs'],
    'apps/statefulsets': ['sts'],
    'apps/daemonsets': ['ds'],
    'scheduling.k8s.io/priorityclasses': ['pc'],
    'apiextensions.k8s.io/customresourcedefinitions': ['crd', 'crds'],
    'policy/poddisruptionbudgets': ['pdb'],
    'networking.k8s.io/networkpolicies': ['netpol'],
    'networking.k8s.io/ingresses': ['ing'],
    'storage.k8s.io/storageclasses': ['sc'],
    'certificates.k8s.io/certificatesigningrequests': ['csr'],
    'autoscaling/horizontalpodautoscalers': ['hpa'],
    'batch/cronjobs': ['cj'],
    'events.k8s.io/events': ['ev'],
    '/secrets': [],
    'batch/jobs': [],
  };
  for (const [key, shortNames] of Object.entries(expectedShortNames)) t.same(byKey.get(key)?.shortNames, shortNames, `${key} short names`);

  const inAll = definitions
    .filter((d) => d.categories.includes('all') && byKey.get(`${d.group}/${d.plural}`) === d)
    .map((d) => `${d.group}/${d.plural}`)
    .sort();
  t.same(inAll, [
    '/pods',
    '/replicationcontrollers',
    '/services',
    'apps/daemonsets',
    'apps/deployments',
    'apps/replicasets',
    'apps/statefulsets',
    'autoscaling/horizontalpodautoscalers',
    'batch/cronjobs',
    'batch/jobs',
  ]);
  const apiExtensions = definitions
    .filter((d) => d.categories.includes('api-extensions'))
    .map((d) => d.plural)
    .sort();
  t.same(apiExtensions, [
    'apiservices',
    'customresourcedefinitions',
    'mutatingwebhookconfigurations',
    'validatingadmissionpolicies',
    'validatingadmissionpolicybindings',
    'validatingwebhookconfigurations',
  ]);
});

t.test('subresources as discovery reports them', async (t) => {
  t.same(find('apps', 'deployments').subresources, [
    { name: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
    { name: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
  ]);
  t.same(
    find('', 'pods').subresources.map((s) => `${s.name}:${s.verbs.join(',')}`),
    [
      'attach:create,get',
      'binding:create',
      'ephemeralcontainers:get,patch,update',
      'eviction:create',
      'exec:create,get',
      'log:get',
      'portforward:create,get',
      'status:get,patch,update',
    ],
  );
  t.same(find('', 'namespaces').verbs, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
  t.same(
    find('', 'namespaces').subresources.map((s) => `${s.name}:${s.verbs.join(',')}`),
    ['finalize:update', 'status:get,patch,update'],
  );
  t.same(find('authorization.k8s.io', 'selfsubjectaccessreviews').verbs, ['create']);
  t.equal(find('authorization.k8s.io', 'localsubjectaccessreviews').namespaced, true);
  t.equal(find('autoscaling', 'horizontalpodautoscalers').version, 'v2');
});

t.test('each call returns a fresh copy', async (t) => {
  const first = builtinResourceDefinitions();
  first[0].verbs.push('bogus');
  first[0].subresources[0].verbs.push('bogus');
  const second = builtinResourceDefinitions();
  t.notOk(second[0].verbs.includes('bogus'));
  t.notOk(second[0].subresources[0].verbs.includes('bogus'));
});
