/**
 * subresources.kubevirt.io through the aggregator, with the real kubectl:
 * discovery (get --raw, api-resources), start/stop/restart/pause via
 * `kubectl replace --raw` (a PUT with no Content-Type) with their real codes
 * and messages, and the aggregator's 503 while virt-api has no ready pod.
 * No operator here: the test creates what it would (CRDs, the APIServices,
 * the virt-api Service and Deployment whose pods the simulated kubelets run).
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

const schema = (path: string): string => fileURLToPath(new URL(`../../../schemas/kubevirt/${path}`, import.meta.url));
const base = '/apis/subresources.kubevirt.io/v1/namespaces/default';

const virtApi = `
apiVersion: v1
kind: Namespace
metadata: {name: kubevirt}
---
apiVersion: v1
kind: Service
metadata: {name: virt-api, namespace: kubevirt}
spec:
  selector: {kubevirt.io: virt-api}
  ports: [{port: 443, targetPort: 8443, protocol: TCP}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: virt-api, namespace: kubevirt}
spec:
  replicas: 1
  selector: {matchLabels: {kubevirt.io: virt-api}}
  template:
    metadata: {labels: {kubevirt.io: virt-api}}
    spec:
      containers: [{name: virt-api, image: quay.io/kubevirt/virt-api:v1.9.0-rc.2}]
${['v1', 'v1alpha3']
  .map(
    (version) => `---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: ${version}.subresources.kubevirt.io}
spec:
  service: {namespace: kubevirt, name: virt-api}
  group: subresources.kubevirt.io
  version: ${version}
  groupPriorityMinimum: 1000
  versionPriority: 15
`,
  )
  .join('')}`;

const vm = (name: string, runStrategy: string) => `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: ${name}, namespace: default}
spec:
  runStrategy: ${runStrategy}
  template:
    spec:
      domain:
        devices: {disks: [{name: containerdisk, disk: {bus: virtio}}]}
        resources: {requests: {memory: 128Mi}}
      volumes: [{name: containerdisk, containerDisk: {image: quay.io/kubevirt/cirros-container-disk-demo}}]
`;

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What virt-operator would have created; setup failures throw. */
async function installVirtApi({ kubectl }: EmulatorFixture): Promise<void> {
  const must = async (args: string[], input?: string) => {
    const result = await kubectl(args, { input });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  };
  for (const crd of ['virtualmachines.kubevirt.io', 'virtualmachineinstances.kubevirt.io', 'virtualmachineinstancemigrations.kubevirt.io', 'kubevirts.kubevirt.io']) {
    await must(['apply', '-f', schema(`crds/${crd}.yaml`)]);
  }
  await must(['wait', '--for=condition=Established', 'crd/virtualmachines.kubevirt.io', 'crd/virtualmachineinstances.kubevirt.io', '--timeout=30s']);
  await must(['apply', '-f', '-'], virtApi);
  await until('virt-api to answer', async () => (await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io/v1'])).code === 0);
}

t.test('discovery of subresources.kubevirt.io', async (t) => {
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl } = fixture;
  await installVirtApi(fixture);

  const raw = await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io/v1']);
  const list = JSON.parse(raw.stdout) as { kind: string; groupVersion: string; resources: Array<{ name: string; namespaced: boolean }> };
  t.equal(list.kind, 'APIResourceList');
  t.equal(list.groupVersion, 'subresources.kubevirt.io/v1');
  t.ok(list.resources.some((r) => r.name === 'virtualmachines/start' && r.namespaced));
  t.equal(JSON.parse((await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io'])).stdout).preferredVersion.version, 'v1');
  t.match(JSON.parse((await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io/v1/version'])).stdout), { gitVersion: 'v1.9.0-rc.2' });

  const groups = JSON.parse((await kubectl(['get', '--raw', '/apis'])).stdout) as { groups: Array<{ name: string; versions: Array<{ version: string }> }> };
  t.same(groups.groups.find((g) => g.name === 'subresources.kubevirt.io')?.versions.map((v) => v.version), ['v1', 'v1alpha3']);
  // kubectl api-resources skips resources without verbs, and virt-api lists none: only the header, as on a real cluster.
  const resources = await kubectl(['api-resources', '--api-group=subresources.kubevirt.io']);
  t.equal(resources.code, 0, resources.stderr);
  t.match(resources.stdout.trim(), /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);

  // The aggregated group's "virtualmachines" must not shadow the CRD's.
  t.equal((await kubectl(['apply', '-f', '-'], { input: vm('vm1', 'Halted') })).code, 0);
  const get = await kubectl(['get', 'virtualmachines']);
  t.equal(get.code, 0, get.stderr);
  t.match(get.stdout, /vm1\s+\S+\s+Stopped|vm1/);
});

t.test('lifecycle requests with kubectl replace --raw', async (t) => {
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl } = fixture;
  await installVirtApi(fixture);
  const put = (path: string, body = '{}') => kubectl(['replace', '--raw', `${base}/${path}`, '-f', '-'], { input: body });
  const jsonpath = async (resource: string, path: string) => (await kubectl(['get', resource, '-o', `jsonpath=${path}`])).stdout;

  t.equal((await kubectl(['apply', '-f', '-'], { input: vm('halted', 'Halted') + '---' + vm('always', 'Always') + '---' + vm('manual', 'Manual') })).code, 0);

  const start = await put('virtualmachines/halted/start');
  t.equal(start.code, 0, start.stderr);
  t.equal(start.stdout, '', 'a 202 with an empty body prints nothing');
  t.equal(await jsonpath('vm/halted', '{.spec.runStrategy}'), 'Always');

  const startAlways = await put('virtualmachines/always/start');
  t.not(startAlways.code, 0);
  t.match(startAlways.stderr, 'Error from server (Conflict): Operation cannot be fulfilled on virtualmachine.kubevirt.io "always": Always does not support manual start requests');

  const stopManual = await put('virtualmachines/manual/stop');
  t.match(stopManual.stderr, 'Error from server (Conflict): Operation cannot be fulfilled on virtualmachine.kubevirt.io "manual": VM is not running');
  t.equal((await put('virtualmachines/manual/start')).code, 0);
  t.equal(await jsonpath('vm/manual', '{.status.stateChangeRequests[0].action}'), 'Start');

  const restart = await put('virtualmachines/manual/restart');
  t.match(restart.stderr, 'Error from server (Conflict): Operation cannot be fulfilled on virtualmachine.kubevirt.io "manual": VM is not running: Halted');

  t.equal((await put('virtualmachines/always/stop')).code, 0);
  t.equal(await jsonpath('vm/always', '{.spec.runStrategy}'), 'Halted');

  const missing = await put('virtualmachines/nope/start');
  t.match(missing.stderr, 'Error from server (NotFound): virtualmachine.kubevirt.io "nope" not found');

  const pause = await put('virtualmachineinstances/nope/pause');
  t.match(pause.stderr, 'Error from server (NotFound): virtualmachineinstance.kubevirt.io "nope" not found');

  const migrate = await put('virtualmachines/halted/migrate');
  t.match(migrate.stderr, 'Error from server (NotFound): virtualmachineinstance.kubevirt.io "halted" not found');
});

t.test('503 while virt-api has no ready pod', async (t) => {
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl } = fixture;
  await installVirtApi(fixture);
  t.equal((await kubectl(['scale', '-n', 'kubevirt', 'deployment/virt-api', '--replicas=0'])).code, 0);
  await until('virt-api to be unavailable', async () => (await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io/v1'])).code !== 0);
  const down = await kubectl(['replace', '--raw', `${base}/virtualmachines/vm1/start`, '-f', '-'], { input: '{}' });
  t.match(down.stderr, 'Error from server (ServiceUnavailable): the server is currently unable to handle the request');
  const resources = await kubectl(['api-resources', '--api-group=subresources.kubevirt.io']);
  t.equal(resources.code, 0, 'discovery still answers; the group has no resources while virt-api is down');
  t.equal(resources.stdout.trim().split('\n').length, 1, 'header only');

  t.equal((await kubectl(['scale', '-n', 'kubevirt', 'deployment/virt-api', '--replicas=1'])).code, 0);
  await until('virt-api to answer again', async () => (await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io/v1'])).code === 0);
});
