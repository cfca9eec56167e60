/**
 * The real kubectl 1.32 sends its typed create commands as protobuf. Each
 * body is captured on its way to the emulator and decoded; it must equal the
 * JSON kubectl itself prints for the same command with --dry-run=client, and
 * the emulator must store the object.
 */
import { writeFile, mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { decodeKubernetesProtobuf } from '../../../src/server/protobuf/index.js';
import { withEmulator } from '../../helpers/cluster.js';
import { runKubectl } from '../../helpers/kubectl.js';
import { startRecordingProxy } from './recording-proxy.js';

const fixture = await withEmulator(t, { insecureHttp: true });
const proxy = await startRecordingProxy(fixture.emulator.url);
t.teardown(() => proxy.close());
const workDir = await mkdtemp(join(tmpdir(), 'protobuf-kubectl-'));
t.teardown(() => rm(workDir, { recursive: true, force: true }));
const kubeconfig = join(workDir, 'kubeconfig');
await writeFile(kubeconfig, (await readFile(fixture.kubeconfigPath, 'utf8')).replace(fixture.emulator.url, proxy.url));
const settingsFile = join(workDir, 'settings.properties');
await writeFile(settingsFile, 'log.level=debug\nreplicas=3\n');

const kubectl = async (args: string[]) => {
  const result = await runKubectl(args, { kubeconfig, cacheDir: join(workDir, 'cache') });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
};

interface CreateCase {
  args: string[];
  apiVersion: string;
  kind: string;
  /** What to check in the object the emulator stored, by path. */
  stored: Array<[path: string, value: unknown]>;
}

const cases: CreateCase[] = [
  {
    args: ['configmap', 'pb-literal', '--from-literal=a=b', '--from-literal=empty='],
    apiVersion: 'v1',
    kind: 'ConfigMap',
    stored: [['data', { a: 'b', empty: '' }]],
  },
  {
    args: ['configmap', 'pb-file', `--from-file=${settingsFile}`],
    apiVersion: 'v1',
    kind: 'ConfigMap',
    stored: [['data', { 'settings.properties': 'log.level=debug\nreplicas=3\n' }]],
  },
  {
    args: ['secret', 'generic', 'pb-secret', '--from-literal=password=s3cr3t', '--type=Opaque'],
    apiVersion: 'v1',
    kind: 'Secret',
    stored: [
      ['data', { password: Buffer.from('s3cr3t').toString('base64') }],
      ['type', 'Opaque'],
    ],
  },
  {
    args: ['deployment', 'pb-web', '--image=nginx:1.27', '--replicas=2', '--port=80'],
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    stored: [
      ['spec.replicas', 2],
      ['spec.selector', { matchLabels: { app: 'pb-web' } }],
      ['spec.template.spec.containers.0.ports', [{ containerPort: 80, protocol: 'TCP' }]],
      ['spec.strategy.rollingUpdate', { maxSurge: '25%', maxUnavailable: '25%' }],
    ],
  },
  {
    args: ['deployment', 'pb-zero', '--image=busybox', '--replicas=0'],
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    stored: [['spec.replicas', 0]],
  },
  {
    args: ['service', 'clusterip', 'pb-svc', '--tcp=80:8080'],
    apiVersion: 'v1',
    kind: 'Service',
    stored: [
      ['spec.ports', [{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }]],
      ['spec.selector', { app: 'pb-svc' }],
      ['spec.type', 'ClusterIP'],
    ],
  },
  {
    args: ['poddisruptionbudget', 'pb-pdb', '--selector=app=pb-web', '--min-available=50%'],
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    stored: [
      ['spec.minAvailable', '50%'],
      ['spec.selector', { matchLabels: { app: 'pb-web' } }],
    ],
  },
  { args: ['namespace', 'pb-ns'], apiVersion: 'v1', kind: 'Namespace', stored: [['metadata.name', 'pb-ns']] },
  { args: ['serviceaccount', 'pb-sa'], apiVersion: 'v1', kind: 'ServiceAccount', stored: [['metadata.name', 'pb-sa']] },
  {
    args: ['job', 'pb-job', '--image=busybox', '--', 'echo', 'hi'],
    apiVersion: 'batch/v1',
    kind: 'Job',
    stored: [
      ['spec.template.spec.containers.0.command', ['echo', 'hi']],
      ['spec.template.spec.restartPolicy', 'Never'],
    ],
  },
  {
    args: ['role', 'pb-role', '--verb=get,list', '--resource=pods,deployments.apps'],
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    stored: [
      [
        'rules',
        [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
          { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
        ],
      ],
    ],
  },
  {
    args: ['priorityclass', 'pb-high', '--value=1000', '--description=important', '--preemption-policy=Never'],
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    stored: [
      ['value', 1000],
      ['description', 'important'],
      ['preemptionPolicy', 'Never'],
      // A plain bool with omitempty: false is not written, by kubectl nor by the apiserver.
      ['globalDefault', undefined],
    ],
  },
];

/** `create secret generic NAME` and `create service clusterip NAME` put a subtype before the name. */
const nameOf = (c: CreateCase): string => (c.args[0] === 'secret' || c.args[0] === 'service' ? c.args[2] : c.args[1]);

function at(object: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

for (const c of cases) {
  t.test(`kubectl create ${c.args.slice(0, 3).join(' ')}`, async (t) => {
    const printed = JSON.parse(await kubectl(['create', '--dry-run=client', '-o', 'json', ...c.args]));
    const before = proxy.bodies.length;
    await kubectl(['create', ...c.args]);
    t.equal(proxy.bodies.length, before + 1, 'kubectl sent one protobuf body');
    const decoded = decodeKubernetesProtobuf(proxy.bodies[before]);
    t.equal(decoded.apiVersion, c.apiVersion);
    t.equal(decoded.kind, c.kind);
    t.strictSame(decoded.object, printed, 'the decoded body is the object kubectl prints as JSON');

    const stored = JSON.parse(await kubectl(['get', c.args[0], nameOf(c), '-o', 'json']));
    t.equal(stored.metadata.name, nameOf(c));
    t.ok(stored.metadata.uid, 'the emulator stored it');
    for (const [path, value] of c.stored) t.strictSame(at(stored, path), value, path);
  });
}

t.test('kubectl auth can-i sends a protobuf SelfSubjectAccessReview and is answered', async (t) => {
  const before = proxy.bodies.length;
  t.equal((await kubectl(['auth', 'can-i', 'create', 'pods', '-n', 'default'])).trim(), 'yes');
  const review = decodeKubernetesProtobuf(proxy.bodies[before]);
  t.equal(review.kind, 'SelfSubjectAccessReview');
  t.strictSame(at(review.object, 'spec.resourceAttributes'), { namespace: 'default', verb: 'create', resource: 'pods' });
});

t.test('kubectl create token sends a protobuf TokenRequest whose int64 expiry arrives as a number', async (t) => {
  const before = proxy.bodies.length;
  const token = (await kubectl(['create', 'token', 'pb-sa', '--duration=1h', '--audience=pb-audience'])).trim();
  t.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
  const request = decodeKubernetesProtobuf(proxy.bodies[before]);
  t.equal(request.apiVersion, 'authentication.k8s.io/v1');
  t.equal(request.kind, 'TokenRequest');
  t.strictSame(request.object.spec, { audiences: ['pb-audience'], expirationSeconds: 3600 });
});

t.test('the deployment created from protobuf rolls out', async (t) => {
  t.match(await kubectl(['rollout', 'status', 'deployment/pb-web', '--timeout=60s']), /deployment "pb-web" successfully rolled out/);
});
