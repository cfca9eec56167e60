/**
 * APIServices as kube-aggregator keeps them (1.32): a Local APIService per built-in group-version
 * (autoregister, `automanaged: onstart`), one per CRD group-version (crdregistration,
 * `automanaged: "true"`, removed with the CRD), and the Available condition of Service-backed
 * ones from the Service, its port and its Endpoints (AvailableConditionController's reasons and
 * messages), as `kubectl get apiservice` shows them.
 */
import t from 'tap';
import { parseTable } from '../../helpers/kubectl.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

type Kubectl = EmulatorFixture['kubectl'];

const rows = async (kubectl: Kubectl): Promise<Map<string, { service: string; available: string }>> => {
  const got = await kubectl(['get', 'apiservice']);
  if (got.code !== 0) throw new Error(got.stderr);
  const table = parseTable(got.stdout);
  return new Map(table.rows.map(([name, service, available]) => [name, { service, available }]));
};

/** Polls `kubectl get apiservice NAME` until its AVAILABLE column reads `expected` (controllers act asynchronously). */
async function availability(kubectl: Kubectl, name: string, expected: string): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < 100; attempt++) {
    last = (await rows(kubectl)).get(name)?.available ?? '<absent>';
    if (last === expected) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}

const condition = async (kubectl: Kubectl, name: string): Promise<Record<string, string>> => {
  const got = await kubectl(['get', 'apiservice', name, '-o', 'jsonpath={.status.conditions[0]}']);
  return JSON.parse(got.stdout || '{}') as Record<string, string>;
};

/** The tests that leave nothing behind another reads share one emulator: the built-in rows, a CRD of its own, a refused create. */
let shared: EmulatorFixture;
t.before(async () => {
  shared = await withEmulator(t, { insecureHttp: true });
});

t.test('built-in group-versions are Local APIServices, always available', async (t) => {
  const { kubectl } = shared;
  t.equal(await availability(kubectl, 'v1.apps', 'True'), 'True');
  const table = await rows(kubectl);
  for (const name of ['v1.', 'v1.apps', 'v1.batch', 'v2.autoscaling', 'v1.rbac.authorization.k8s.io', 'v1.apiextensions.k8s.io']) {
    t.same(table.get(name), { service: 'Local', available: 'True' }, `${name} is Local and available`);
  }
  const core = await kubectl(['get', 'apiservice', 'v1.', '-o', 'json']);
  const object = JSON.parse(core.stdout);
  t.same(object.metadata.labels, { 'kube-aggregator.kubernetes.io/automanaged': 'onstart' });
  t.same(object.spec, { version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 });
  t.match(object.status.conditions[0], {
    type: 'Available',
    status: 'True',
    reason: 'Local',
    message: 'Local APIServices are always available',
  });
});

t.test('a CRD registers its group-versions; deleting it removes them', async (t) => {
  const { kubectl } = shared;
  const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
  - {name: v1beta1, served: true, storage: false, schema: {openAPIV3Schema: {type: object}}}
`;
  t.equal((await kubectl(['apply', '-f', '-'], { input: crd })).code, 0);
  t.equal(await availability(kubectl, 'v1.example.com', 'True'), 'True');
  t.equal(await availability(kubectl, 'v1beta1.example.com', 'True'), 'True');
  const object = JSON.parse((await kubectl(['get', 'apiservice', 'v1.example.com', '-o', 'json'])).stdout);
  t.same(object.metadata.labels, { 'kube-aggregator.kubernetes.io/automanaged': 'true' });
  t.same(object.spec, { group: 'example.com', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 100 });
  t.equal((await kubectl(['delete', 'crd', 'widgets.example.com'])).code, 0);
  t.equal(await availability(kubectl, 'v1.example.com', '<absent>'), '<absent>', 'removed with the CRD');
});

t.test('Service-backed APIServices: not present, wrong port, no endpoints, nothing answering', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  const apiService = (port: number) => `apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.example.com}
spec:
  group: metrics.example.com
  version: v1beta1
  service: {namespace: default, name: metrics, port: ${port}}
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
`;
  t.equal((await kubectl(['apply', '-f', '-'], { input: apiService(443) })).code, 0);
  const name = 'v1beta1.metrics.example.com';
  t.equal(await availability(kubectl, name, 'False (ServiceNotFound)'), 'False (ServiceNotFound)');
  t.match(await condition(kubectl, name), {
    status: 'False',
    reason: 'ServiceNotFound',
    message: 'service/metrics in "default" is not present',
  });

  const created = await kubectl(['create', 'service', 'clusterip', 'metrics', '--tcp=8443:8443']);
  t.equal(created.code, 0, created.stderr);
  t.equal(await availability(kubectl, name, 'False (ServicePortError)'), 'False (ServicePortError)');
  t.match(await condition(kubectl, name), { message: 'service/metrics in "default" is not listening on port 443' });

  t.equal((await kubectl(['apply', '-f', '-'], { input: apiService(8443) })).code, 0);
  t.equal(await availability(kubectl, name, 'False (MissingEndpoints)'), 'False (MissingEndpoints)');
  t.match(await condition(kubectl, name), {
    message: 'endpoints for service/metrics in "default" have no addresses with port name "8443-8443"',
  });

  const pod = `apiVersion: v1
kind: Pod
metadata: {name: metrics, namespace: default, labels: {app: metrics}}
spec: {containers: [{name: server, image: registry.k8s.io/metrics-server/metrics-server:v0.7.2}]}
`;
  t.equal((await kubectl(['apply', '-f', '-'], { input: pod })).code, 0);
  t.equal((await kubectl(['wait', 'pod/metrics', '--for=condition=Ready', '--timeout=60s'])).code, 0);
  t.equal(await availability(kubectl, name, 'False (FailedDiscoveryCheck)'), 'False (FailedDiscoveryCheck)');
  const ip = (await kubectl(['get', 'service', 'metrics', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
  const url = `https://${ip}:8443/apis/metrics.example.com/v1beta1`;
  t.match(await condition(kubectl, name), {
    message: `failing or missing response from ${url}: Get "${url}": dial tcp ${ip}:8443: connect: connection refused`,
  });
});

t.test("KubeVirt's aggregated API is Available while virt-api is ready", async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true, installKubeVirt: true });
  const table = await rows(kubectl);
  t.same(table.get('v1.subresources.kubevirt.io'), { service: 'kubevirt/virt-api', available: 'True' });
  t.same(table.get('v1.kubevirt.io'), { service: 'Local', available: 'True' }, 'the CRD group is registered');
  t.match(await condition(kubectl, 'v1.subresources.kubevirt.io'), { reason: 'Passed', message: 'all checks passed' });

  await kubectl(['-n', 'kubevirt', 'scale', 'deployment', 'virt-operator', '--replicas=0']);
  await kubectl(['-n', 'kubevirt', 'scale', 'deployment', 'virt-api', '--replicas=0']);
  const down = await availability(kubectl, 'v1.subresources.kubevirt.io', 'False (MissingEndpoints)');
  t.equal(down, 'False (MissingEndpoints)', 'without a ready virt-api pod');
  await kubectl(['-n', 'kubevirt', 'scale', 'deployment', 'virt-api', '--replicas=1']);
  t.equal(await availability(kubectl, 'v1.subresources.kubevirt.io', 'True'), 'True', 'back once virt-api is ready');
});

t.test('an APIService must be named <version>.<group>', async (t) => {
  const { kubectl } = shared;
  const misnamed = `apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.wrong.example.com}
spec: {group: metrics.example.com, version: v1, groupPriorityMinimum: 100, versionPriority: 100}
`;
  const refused = await kubectl(['create', '-f', '-'], { input: misnamed });
  t.not(refused.code, 0);
  t.match(
    refused.stderr,
    'The APIService "v1.wrong.example.com" is invalid: metadata.name: Invalid value: "v1.wrong.example.com": ' +
      'must be `spec.version+"."+spec.group`: "v1.metrics.example.com"',
  );
});
