import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

/** What `kubectl create deployment NAME --image=nginx` makes, applied as YAML (apply speaks JSON; typed `kubectl create` sends protobuf). */
const deploymentYaml = (name: string, replicas: number, namespace = 'default') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: nginx
        image: nginx
`;

async function applyYaml(kubectl: EmulatorFixture['kubectl'], yaml: string): Promise<void> {
  const result = await kubectl(['apply', '-f', '-'], { input: yaml });
  if (result.code !== 0) throw new Error(`kubectl apply failed: ${result.stderr}`);
}

t.test('kubectl create deployment: rollout completes, pods Running on the workers with IPs', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  const created = await kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, 'deployment.apps/web created');
  const rollout = await kubectl(['rollout', 'status', 'deploy/web', '--timeout=60s']);
  t.equal(rollout.code, 0, rollout.stderr);
  t.match(rollout.stdout, 'deployment "web" successfully rolled out');
  const pods = await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'wide', '--no-headers']);
  const rows = pods.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/));
  t.equal(rows.length, 3, pods.stdout);
  for (const [name, ready, status, , , ip, node] of rows) {
    t.match(name, /^web-[a-z0-9]+-[a-z0-9]{5}$/);
    t.equal(ready, '1/1');
    t.equal(status, 'Running');
    t.match(ip, /^10\.244\.\d+\.\d+$/);
    // The control-plane node is tainted NoSchedule, as in kind: replicas land on the workers.
    t.match(node, /^kubevirt-emulator-worker\d*$/);
  }
  t.equal(new Set(rows.map((r) => r[6])).size, 2, 'spread over both workers');
});

interface ReplicaSetList {
  items: Array<{
    metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: unknown[] };
    spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
  }>;
}

t.test('a deployment rolls out, updates, rolls back and shows its events', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  const ok = async (args: string[]) => {
    const result = await kubectl(args);
    t.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  await applyYaml(kubectl, deploymentYaml('web', 3));
  t.match(await ok(['rollout', 'status', 'deploy/web', '--timeout=60s']), /deployment "web" successfully rolled out/);
  t.match(await ok(['get', 'deploy', 'web']), /web\s+3\/3\s+3\s+3\s+/);

  await ok(['set', 'image', 'deploy/web', 'nginx=nginx:1.27']);
  t.match(await ok(['rollout', 'status', 'deploy/web', '--timeout=60s']), /successfully rolled out/);
  const sets = JSON.parse(await ok(['get', 'rs', '-l', 'app=web', '-o', 'json'])) as ReplicaSetList;
  t.equal(sets.items.length, 2);
  const current = sets.items.find((rs) => rs.spec.replicas === 3)!;
  t.equal(current.spec.template.spec.containers[0].image, 'nginx:1.27');
  t.equal(current.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');

  await ok(['rollout', 'undo', 'deploy/web']);
  t.match(await ok(['rollout', 'status', 'deploy/web', '--timeout=60s']), /successfully rolled out/);
  t.equal(await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx');
  t.match(await ok(['rollout', 'history', 'deploy/web']), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);

  const describe = await ok(['describe', 'deploy/web']);
  t.match(describe, /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\w+ from 0 to 3/);
  t.match(describe, /NewReplicaSet:\s+web-\w+ \(3\/3 replicas created\)/);
  t.match(describe, /Progressing\s+True\s+NewReplicaSetAvailable/);
});

t.test('kubectl delete --cascade=orphan and --cascade=foreground', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  for (const name of ['keep', 'drop']) {
    await applyYaml(kubectl, deploymentYaml(name, 2));
    t.equal((await kubectl(['rollout', 'status', `deploy/${name}`, '--timeout=60s'])).code, 0);
  }
  t.equal((await kubectl(['delete', 'deploy', 'keep', '--cascade=orphan'])).code, 0);
  const orphans = JSON.parse((await kubectl(['get', 'rs', '-l', 'app=keep', '-o', 'json'])).stdout) as ReplicaSetList;
  t.equal(orphans.items.length, 1, 'the ReplicaSet stays');
  t.equal(orphans.items[0].metadata.ownerReferences, undefined, 'without its owner reference');

  const foreground = await kubectl(['delete', 'deploy', 'drop', '--cascade=foreground', '--wait=true']);
  t.equal(foreground.code, 0, foreground.stderr);
  const left = await kubectl(['get', 'rs,pods', '-l', 'app=drop', '-o', 'name']);
  t.equal(left.stdout.trim(), '', 'ReplicaSet and pods went before the deployment');
});

t.test('kubectl delete namespace removes its content, then the namespace', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  await applyYaml(kubectl, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: scratch}\n');
  await applyYaml(kubectl, deploymentYaml('x', 1, 'scratch'));
  await applyYaml(kubectl, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: scratch}\ndata: {a: b}\n');
  t.equal((await kubectl(['-n', 'scratch', 'rollout', 'status', 'deploy/x', '--timeout=60s'])).code, 0);
  const deleted = await kubectl(['delete', 'namespace', 'scratch', '--timeout=60s']);
  t.equal(deleted.code, 0, deleted.stderr);
  t.match(deleted.stdout, /namespace "scratch" deleted/);
  const gone = await kubectl(['get', 'namespace', 'scratch']);
  t.not(gone.code, 0);
  t.match(gone.stderr, /namespaces "scratch" not found/);
});
