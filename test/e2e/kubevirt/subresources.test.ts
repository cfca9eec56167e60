/**
 * subresources.kubevirt.io through the aggregator, with the real kubectl:
 * discovery (get --raw, api-resources), start/stop/restart/pause via
 * `kubectl replace --raw` (a PUT with no Content-Type) with their real codes
 * and messages, and the aggregator's 503 while virt-api has no ready pod.
 * No operator there: those tests share one emulator where they create what it
 * would (CRDs, the APIServices, the virt-api Service and Deployment whose pods
 * the simulated kubelets run, virt-api's ClusterRole and Role with their bindings).
 * The guest-agent GETs need running guests, so their test installs KubeVirt.
 */
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { rawClient } from '../../helpers/raw-https.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';
import { strategyData } from '../../../src/kubevirt/operator/install-strategy/strategy-data.js';
import { stringify } from 'yaml';

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

/** What virt-operator would have created (virt-api's RBAC included); setup failures throw. */
async function installVirtApi({ kubectl }: EmulatorFixture): Promise<void> {
  const must = async (args: string[], input?: string) => {
    const result = await kubectl(args, { input });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  };
  for (const crd of [
    'virtualmachines.kubevirt.io',
    'virtualmachineinstances.kubevirt.io',
    'virtualmachineinstancemigrations.kubevirt.io',
    'kubevirts.kubevirt.io',
  ]) {
    // create, not apply: a real apiserver refuses last-applied-configuration annotations over 256 KiB.
    await must(['create', '-f', kubevirtSchema(`crds/${crd}.yaml`)]);
  }
  await must([
    'wait',
    '--for=condition=Established',
    'crd/virtualmachines.kubevirt.io',
    'crd/virtualmachineinstances.kubevirt.io',
    '--timeout=30s',
  ]);
  await must(['apply', '-f', '-'], virtApi);
  // virt-api acts as kubevirt-apiserver, which may read VMs only through the RBAC virt-operator installs.
  const rbac = strategyData().operands.filter((o) => o.metadata.name === 'kubevirt-apiserver' && /Role/.test(o.kind));
  await must(['apply', '-f', '-'], rbac.map((o) => stringify(o)).join('---\n'));
  await until('virt-api to answer', async () => (await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io/v1'])).code === 0);
}

/** The three tests without the operator share one emulator: their VMs have names of their own, and the 503 test scales virt-api back. */
let withoutOperator: EmulatorFixture;
t.before(async () => {
  withoutOperator = await withEmulator(t, { workers: 1 });
  await installVirtApi(withoutOperator);
});

t.test('discovery of subresources.kubevirt.io', async (t) => {
  const { kubectl } = withoutOperator;

  const raw = await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io/v1']);
  const list = JSON.parse(raw.stdout) as { kind: string; groupVersion: string; resources: Array<{ name: string; namespaced: boolean }> };
  t.equal(list.kind, 'APIResourceList');
  t.equal(list.groupVersion, 'subresources.kubevirt.io/v1');
  t.ok(list.resources.some((r) => r.name === 'virtualmachines/start' && r.namespaced));
  t.equal(JSON.parse((await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io'])).stdout).preferredVersion.version, 'v1');
  t.match(JSON.parse((await kubectl(['get', '--raw', '/apis/subresources.kubevirt.io/v1/version'])).stdout), { gitVersion: 'v1.9.0-rc.2' });

  const groups = JSON.parse((await kubectl(['get', '--raw', '/apis'])).stdout) as {
    groups: Array<{ name: string; versions: Array<{ version: string }> }>;
  };
  t.same(
    groups.groups.find((g) => g.name === 'subresources.kubevirt.io')?.versions.map((v) => v.version),
    ['v1', 'v1alpha3'],
  );
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
  const { kubectl } = withoutOperator;
  const put = (path: string, body = '{}') => kubectl(['replace', '--raw', `${base}/${path}`, '-f', '-'], { input: body });
  const jsonpath = async (resource: string, path: string) => (await kubectl(['get', resource, '-o', `jsonpath=${path}`])).stdout;

  t.equal(
    (await kubectl(['apply', '-f', '-'], { input: `${vm('halted', 'Halted')}---${vm('always', 'Always')}---${vm('manual', 'Manual')}` }))
      .code,
    0,
  );

  const start = await put('virtualmachines/halted/start');
  t.equal(start.code, 0, start.stderr);
  t.equal(start.stdout, '', 'a 202 with an empty body prints nothing');
  t.equal(await jsonpath('vm/halted', '{.spec.runStrategy}'), 'Always');

  const startAlways = await put('virtualmachines/always/start');
  t.not(startAlways.code, 0);
  t.match(
    startAlways.stderr,
    'Error from server (Conflict): Operation cannot be fulfilled on virtualmachine.kubevirt.io "always": Always does not support manual start requests',
  );

  const stopManual = await put('virtualmachines/manual/stop');
  t.match(
    stopManual.stderr,
    'Error from server (Conflict): Operation cannot be fulfilled on virtualmachine.kubevirt.io "manual": VM is not running',
  );
  t.equal((await put('virtualmachines/manual/start')).code, 0);
  t.equal(await jsonpath('vm/manual', '{.status.stateChangeRequests[0].action}'), 'Start');

  const restart = await put('virtualmachines/manual/restart');
  t.match(
    restart.stderr,
    'Error from server (Conflict): Operation cannot be fulfilled on virtualmachine.kubevirt.io "manual": VM is not running: Halted',
  );

  t.equal((await put('virtualmachines/always/stop')).code, 0);
  t.equal(await jsonpath('vm/always', '{.spec.runStrategy}'), 'Halted');

  const missing = await put('virtualmachines/nope/start');
  t.match(missing.stderr, 'Error from server (NotFound): virtualmachine.kubevirt.io "nope" not found');

  const pause = await put('virtualmachineinstances/nope/pause');
  t.match(pause.stderr, 'Error from server (NotFound): virtualmachineinstance.kubevirt.io "nope" not found');

  const migrate = await put('virtualmachines/halted/migrate');
  t.match(migrate.stderr, 'Error from server (NotFound): virtualmachineinstance.kubevirt.io "halted" not found');

  // Every subresource of a missing VMI is a 404 Status; one virt-api does not serve is a 404 too, not a 501: go-restful's
  // own plain text (its router has no route for it), which client-go reports as a NotFound of its own words.
  for (const action of ['unpause', 'softreboot', 'freeze']) {
    const answer = await put(`virtualmachineinstances/nope/${action}`, '{"unfreezeTimeout":"1m"}');
    t.match(answer.stderr, 'Error from server (NotFound): virtualmachineinstance.kubevirt.io "nope" not found', action);
  }
  const unknown = await put('virtualmachineinstances/nope/frobnicate');
  t.match(unknown.stderr, 'Error from server (NotFound): the server could not find the requested resource');
  const api = rawClient(withoutOperator.emulator.url, withoutOperator.kubeconfigPath);
  for (const path of ['virtualmachineinstances/nope/frobnicate', 'virtualmachines/always/frobnicate']) {
    const raw = await api.send('PUT', `${base}/${path}`, { body: '{}' });
    t.equal(raw.status, 404, `${path}: 404`);
    t.equal(raw.contentType, 'text/plain; charset=utf-8', `${path}: plain text`);
    t.equal(raw.text, '404: Page Not Found', `${path}: go-restful's body`);
  }
});

t.test('503 while virt-api has no ready pod', async (t) => {
  const { kubectl } = withoutOperator;
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

t.test('guestosinfo, userlist and filesystemlist answer from the simulated guest agent', async (t) => {
  const fixture = await withEmulator(t, { workers: 1, installKubeVirt: true });
  const { kubectl } = fixture;
  const agentPaths = (vmi: string) =>
    ['guestosinfo', 'userlist', 'filesystemlist'].map((sub) => `${base}/virtualmachineinstances/${vmi}/${sub}`);
  const getRaw = (path: string) => kubectl(['get', '--raw', path]);
  /** virt-api writes these failures as plain-text 500s: kubectl quotes the body. */
  const plain500 = (vmi: string, text: string) =>
    `Error from server (InternalError): an error on the server ("Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io \\"${vmi}\\": ${text}") has prevented the request from succeeding`;

  // Fedora ships qemu-guest-agent; the alpine demo image does not; vmi-pvc's claim does not exist, so it never runs.
  for (const example of ['vmi-fedora', 'vmi-migratable', 'vmi-pvc'])
    t.equal((await kubectl(['apply', '-f', kubevirtSchema(`examples/${example}.yaml`)])).code, 0);
  const waited = await kubectl(['wait', 'vmi/vmi-fedora', '--for=condition=AgentConnected', '--timeout=60s'], { timeoutMs: 70_000 });
  t.equal(waited.code, 0, waited.stderr);
  t.equal((await kubectl(['wait', 'vmi/vmi-migratable', '--for=condition=Ready', '--timeout=60s'], { timeoutMs: 70_000 })).code, 0);

  const [infoPath, usersPath, filesystemsPath] = agentPaths('vmi-fedora');
  const info = JSON.parse((await getRaw(infoPath!)).stdout) as {
    hostname: string;
    os: Record<string, string>;
    guestAgentVersion: string;
    fsInfo: { disks: unknown[] };
    supportedCommands: Array<{ name: string; enabled: boolean }>;
  };
  const vmi = JSON.parse((await kubectl(['get', 'vmi', 'vmi-fedora', '-o', 'json'])).stdout) as {
    status: { guestOSInfo: Record<string, string> };
  };
  t.same(info.os, vmi.status.guestOSInfo, 'the OS the agent reports is the one on the VMI status');
  t.equal(info.os.id, 'fedora');
  t.equal(info.hostname, 'vmi-fedora');
  t.ok(info.guestAgentVersion, 'an agent version');
  t.ok(info.supportedCommands.some((c) => c.name === 'guest-get-fsinfo' && c.enabled));
  const filesystems = JSON.parse((await getRaw(filesystemsPath!)).stdout) as {
    items: Array<{ mountPoint: string; disk: Array<{ busType: string }> }>;
  };
  t.same(filesystems.items, info.fsInfo.disks, 'filesystemlist is the fsInfo of guestosinfo');
  t.equal(filesystems.items[0]?.mountPoint, '/');
  t.equal(filesystems.items[0]?.disk[0]?.busType, 'virtio', 'the root filesystem is on the first disk, a virtio disk');
  t.same(JSON.parse((await getRaw(usersPath!)).stdout).items, [], 'nobody logged in to the simulated guest');

  for (const path of agentPaths('vmi-migratable')) {
    const failed = await getRaw(path);
    t.not(failed.code, 0);
    t.equal(failed.stderr.trim(), plain500('vmi-migratable', 'VMI does not have guest agent connected'), path);
  }
  for (const path of agentPaths('vmi-pvc')) t.equal((await getRaw(path)).stderr.trim(), plain500('vmi-pvc', 'VMI is not running'), path);

  // The agent goes away (a Fault): the same error as a guest without one, until it is back.
  const fault = JSON.stringify({
    apiVersion: 'emulator.kubevirt.io/v1alpha1',
    kind: 'Fault',
    metadata: { name: 'agent-gone' },
    spec: { type: 'guest-agent-disconnect', target: { name: 'vmi-fedora' } },
  });
  t.equal((await kubectl(['create', '-f', '-'], { input: fault })).code, 0);
  await until(
    'AgentConnected to go',
    async () =>
      (await kubectl(['get', 'vmi', 'vmi-fedora', '-o', 'jsonpath={.status.conditions[?(@.type=="AgentConnected")].status}'])).stdout ===
      '',
  );
  t.equal((await getRaw(infoPath!)).stderr.trim(), plain500('vmi-fedora', 'VMI does not have guest agent connected'));
  t.equal((await kubectl(['delete', 'fault', 'agent-gone'])).code, 0);
  await until('the agent to reconnect', async () => (await getRaw(infoPath!)).code === 0);
  await otherRoutes(t, kubectl);
});

/**
 * The rest of v1.9's routes (pkg/virt-api/api.go): the streaming ones check the VMI before the WebSocket upgrade, so a
 * plain GET gets the check's error or gorilla/websocket's refusal (streamer.go, usbredir.go, vsock.go); backup and
 * redefine-checkpoint check the VMI (lifecycle.go); the cluster profiler is behind its gate (profiler.go). Run at the end
 * of the guest-agent test, on its running vmi-migratable.
 */
async function otherRoutes(t: typeof import('tap').t, kubectl: EmulatorFixture['kubectl']): Promise<void> {
  const vmiPath = `${base}/virtualmachineinstances/vmi-migratable`;
  const getRaw = async (path: string) => (await kubectl(['get', '--raw', path])).stderr.trim();
  const putRaw = async (path: string) => (await kubectl(['replace', '--raw', path, '-f', '-'], { input: '{}' })).stderr.trim();

  t.match(
    await getRaw(`${vmiPath}/usbredir`),
    /Conflict.*virtualmachineinstance.kubevirt.io "vmi-migratable": Not configured with USB Redirection/,
  );
  t.match(await getRaw(`${vmiPath}/vsock?port=1234`), /BadRequest.*VSOCK is not attached\./);
  t.match(await getRaw(`${base}/virtualmachineinstances/nope/usbredir`), /NotFound.*virtualmachineinstance.kubevirt.io "nope" not found/);
  const notUpgrade =
    /BadRequest.*websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header/;
  t.match(await getRaw(`${vmiPath}/console`), notUpgrade, 'a running VMI passes the checks; the upgrade is refused');
  t.match(await getRaw(`${vmiPath}/portforward/22`), notUpgrade);
  t.match(await putRaw(`${vmiPath}/redefine-checkpoint`), /Conflict.*ChangedBlockTracking is not enabled/);
  t.match(await putRaw(`${base}/virtualmachineinstances/nope/backup`), /NotFound.*"nope" not found/);
  t.match(await putRaw(`${vmiPath}/backup`), /InternalError/);
  t.match(
    await getRaw('/apis/subresources.kubevirt.io/v1/start-cluster-profiler'),
    /Forbidden\): Unable to start profiler\. "ClusterProfiler" feature gate must be enabled/,
  );
}
