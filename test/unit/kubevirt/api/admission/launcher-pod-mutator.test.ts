import t from 'tap';
import { decodedPatchOf } from '../../../../../src/admission/webhooks/in-process-patch.js';
import type { AdmissionReview } from '../../../../../src/admission/webhooks/types.js';
import type { KubeObject } from '../../../../../src/api/types.js';
import type { Client } from '../../../../../src/client/client.js';
import { admissionConfig } from '../../../../../src/kubevirt/api/admission/config.js';
import type { AdmissionDeps } from '../../../../../src/kubevirt/api/admission/deps.js';
import { virtLauncherPodMutator } from '../../../../../src/kubevirt/api/admission/launcher-pod-mutator.js';

const TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

/** A VMI sharing the token directory another webhook mounts into compute (IRSA) with its guest. */
const vmi = (containerPath: Record<string, unknown>, domain: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vmi-a', namespace: 'default' },
  spec: {
    domain: { ...domain, devices: { filesystems: [{ name: 'aws-token', virtiofs: {} }] } },
    volumes: [{ name: 'aws-token', containerPath }],
  },
});

const launcherPod = (
  extraContainers: Array<{ name: string }> = [],
  tokenVolume: Record<string, unknown> = { projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: 'virt-launcher-vmi-a-',
    namespace: 'default',
    labels: { 'kubevirt.io': 'virt-launcher' },
    ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: 'vmi-a', uid: 'u', controller: true }],
  },
  spec: {
    containers: [
      {
        name: 'compute',
        image: 'quay.io/kubevirt/virt-launcher:v1.9.0-rc.2',
        volumeMounts: [{ name: 'aws-iam-token', mountPath: TOKEN_DIR, readOnly: true }],
      },
      ...extraContainers,
    ],
    volumes: [{ name: 'aws-iam-token', ...tokenVolume }],
  },
});

const review = (object: unknown): AdmissionReview => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'r1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'default',
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:kubevirt:kubevirt-controller' },
    object: object as KubeObject,
  },
});

function mutate(stored: KubeObject | undefined, pod: unknown, kubevirtConfiguration: Record<string, unknown> = {}) {
  const gets: string[] = [];
  const client = {
    get: async (_ref: unknown, namespace: string, name: string) => {
      gets.push(`${namespace}/${name}`);
      if (!stored) throw new Error('not found');
      return stored;
    },
  } as unknown as Client;
  const kubevirt = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: { name: 'kubevirt', namespace: 'kubevirt' },
    spec: { configuration: kubevirtConfiguration },
  };
  const deps = { config: () => admissionConfig(kubevirt) } as AdmissionDeps;
  return virtLauncherPodMutator(client)(deps, review(pod)).then((response) => ({ response, gets, patch: decodedPatchOf(response) }));
}

t.test('a launcher pod gets a read-only virtiofsd container for its VMI containerPath volume', async (t) => {
  const { response, gets, patch } = await mutate(vmi({ path: TOKEN_DIR, readOnly: true }), launcherPod());
  t.same(gets, ['default/vmi-a'], 'the VMI is read from the API');
  t.equal(response.allowed, true);
  t.same(patch, [
    {
      op: 'add',
      path: '/spec/containers/-',
      value: {
        name: 'virtiofs-aws-token',
        image: 'quay.io/kubevirt/virt-launcher:v1.9.0-rc.2',
        command: ['/usr/libexec/virtiofsd'],
        args: [
          '--socket-path=/var/run/kubevirt/virtiofs-containers/aws-token.sock',
          '--shared-dir=/virtiofs-data/aws-token',
          '--sandbox=none',
          '--cache=auto',
          '--migration-on-error=guest-error',
          '--migration-mode=find-paths',
          '--translate-uid=host:107:0:1',
        ],
        resources: { limits: { cpu: '100m', memory: '80M' }, requests: { cpu: '10m', memory: '1M' } },
        volumeMounts: [
          { name: 'virtiofs-containers', mountPath: '/var/run/kubevirt/virtiofs-containers' },
          { name: 'aws-iam-token', readOnly: true, mountPath: '/virtiofs-data/aws-token' },
        ],
        imagePullPolicy: 'IfNotPresent',
        securityContext: {
          capabilities: { drop: ['ALL'] },
          runAsUser: 107,
          runAsGroup: 107,
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
        },
      },
    },
  ]);
});

t.test('a path under a mount is served through a subPath; configured and Guaranteed QoS resources', async (t) => {
  const guaranteed = { resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } } };
  const configuration = {
    supportContainerResources: [{ type: 'virtiofs', resources: { limits: { cpu: '200m' }, requests: { memory: '0' } } }],
  };
  const { patch } = await mutate(
    vmi({ path: `${TOKEN_DIR}/token`, readOnly: true }, guaranteed),
    launcherPod([], { secret: { secretName: 's' } }),
    configuration,
  );
  const container = patch?.[0].value as Record<string, unknown> & { args: string[] };
  t.same(container.volumeMounts, [
    { name: 'virtiofs-containers', mountPath: '/var/run/kubevirt/virtiofs-containers' },
    { name: 'aws-iam-token', readOnly: true, mountPath: '/virtiofs-data/aws-token', subPath: 'token' },
  ]);
  t.notOk(
    container.args.some((arg) => arg.startsWith('--translate-uid')),
    'no token projected: no uid translation',
  );
  t.same(container.resources, { limits: { cpu: '200m', memory: '80M' }, requests: { cpu: '200m', memory: '80M' } });
});

t.test('nothing to add: the pod is admitted unchanged', async (t) => {
  const cases: Array<[string, KubeObject | undefined, unknown]> = [
    [
      'the container is there already (reinvocation)',
      vmi({ path: TOKEN_DIR, readOnly: true }),
      launcherPod([{ name: 'virtiofs-aws-token' }]),
    ],
    ['the volume is not read-only', vmi({ path: TOKEN_DIR }), launcherPod()],
    ['compute mounts nothing at the path', vmi({ path: '/elsewhere', readOnly: true }), launcherPod()],
    ['the pod volume is of an unsupported kind', vmi({ path: TOKEN_DIR, readOnly: true }), launcherPod([], { hostPath: { path: '/tmp' } })],
    ['the VMI cannot be read', undefined, launcherPod()],
  ];
  for (const [why, stored, pod] of cases) {
    const { response, patch } = await mutate(stored, pod);
    t.same([response.allowed, response.patch, patch], [true, undefined, undefined], why);
  }
  const other = await mutate(vmi({ path: TOKEN_DIR, readOnly: true }), {
    ...launcherPod(),
    metadata: { name: 'web', namespace: 'default' },
  });
  t.same([other.response.allowed, other.gets], [true, []], 'another pod is not looked at');
});
