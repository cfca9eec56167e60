import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { parseTable } from '../../helpers/kubectl.js';

// One emulator for the file: each case works in its own names.
const fixture = await withEmulator(t, { insecureHttp: true });
const { kubectl } = fixture;

async function apply(yaml: string): Promise<void> {
  const result = await kubectl(['apply', '-f', '-'], { input: yaml });
  if (result.code !== 0) throw new Error(`kubectl apply failed: ${result.stderr}`);
}

async function jsonOf<T>(args: string[]): Promise<T> {
  const result = await kubectl([...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

async function waitFor(what: string, kubectlFixture: EmulatorFixture['kubectl'], args: string[]): Promise<void> {
  const result = await kubectlFixture(['wait', ...args, '--timeout=30s']);
  if (result.code !== 0) throw new Error(`waiting for ${what}: ${result.stderr}`);
}

const claimYaml = (name: string, extra = '') => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
${extra}`;

const podYaml = (name: string, claim: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default}
spec:
  containers:
  - {name: app, image: busybox, command: [sleep, "3600"], volumeMounts: [{name: data, mountPath: /data}]}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: ${claim}}}
`;

interface Claim {
  metadata: { uid: string; annotations?: Record<string, string> };
  spec: { storageClassName?: string; volumeName?: string };
  status: { phase: string; capacity?: Record<string, string>; accessModes?: string[] };
}

t.test('kubectl get storageclass: kind default class `standard`', async (t) => {
  const { header, rows } = parseTable((await kubectl(['get', 'storageclass'])).stdout);
  t.same(header.slice(0, 5), ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION']);
  t.same(
    rows.map((row) => row.slice(0, 5)),
    [['standard (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false']],
  );
});

t.test('a claim with the default class waits for its first consumer, then a local-path volume binds on its node', async (t) => {
  await apply(claimYaml('wffc-data'));
  let claim = await jsonOf<Claim>(['get', 'pvc', 'wffc-data']);
  t.equal(claim.spec.storageClassName, 'standard', 'DefaultStorageClass admission');
  t.equal(claim.status.phase, 'Pending');
  const events = await kubectl([
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=wffc-data',
    '-o',
    'custom-columns=R:.reason,M:.message',
  ]);
  t.match(events.stdout, /WaitForFirstConsumer\s+waiting for first consumer to be created before binding/);

  await apply(podYaml('wffc-app', 'wffc-data'));
  await waitFor('the pod', kubectl, ['pod/wffc-app', '--for=condition=Ready']);
  await waitFor('the claim', kubectl, ['pvc/wffc-data', '--for=jsonpath={.status.phase}=Bound']);
  const pod = await jsonOf<{ spec: { nodeName: string } }>(['get', 'pod', 'wffc-app']);
  claim = await jsonOf<Claim>(['get', 'pvc', 'wffc-data']);
  const volumeName = `pvc-${claim.metadata.uid}`;
  t.equal(claim.spec.volumeName, volumeName);
  t.same(claim.status.capacity, { storage: '1Gi' });
  t.same(claim.status.accessModes, ['ReadWriteOnce']);
  t.match(claim.metadata.annotations, {
    'pv.kubernetes.io/bind-completed': 'yes',
    'pv.kubernetes.io/bound-by-controller': 'yes',
    'volume.kubernetes.io/selected-node': pod.spec.nodeName,
    'volume.kubernetes.io/storage-provisioner': 'rancher.io/local-path',
    'volume.beta.kubernetes.io/storage-provisioner': 'rancher.io/local-path',
  });
  const volume = await jsonOf<{
    metadata: { annotations: Record<string, string> };
    spec: Record<string, unknown>;
    status: { phase: string };
  }>(['get', 'pv', volumeName]);
  t.equal(volume.metadata.annotations['pv.kubernetes.io/provisioned-by'], 'rancher.io/local-path');
  t.match(volume.spec, {
    storageClassName: 'standard',
    persistentVolumeReclaimPolicy: 'Delete',
    volumeMode: 'Filesystem',
    hostPath: { path: `/var/local-path-provisioner/${volumeName}_default_wffc-data`, type: 'DirectoryOrCreate' },
    claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'wffc-data', uid: claim.metadata.uid },
    nodeAffinity: {
      required: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [pod.spec.nodeName] }] }],
      },
    },
  });
  t.equal(volume.status.phase, 'Bound');
  const pvs = await kubectl(['get', 'pv', volumeName, '--no-headers']);
  t.match(pvs.stdout, new RegExp(`^${volumeName}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+default/wffc-data\\s+standard\\s`));

  // Delete reclaim: the claim goes, so does its volume.
  t.equal((await kubectl(['delete', 'pod', 'wffc-app', '--wait=true'])).code, 0);
  t.equal((await kubectl(['delete', 'pvc', 'wffc-data', '--wait=true'])).code, 0);
  const gone = await kubectl(['wait', `pv/${volumeName}`, '--for=delete', '--timeout=30s']);
  t.equal(gone.code, 0, gone.stderr);
});

t.test("an Immediate claim with no volume keeps its pod Pending with kube-scheduler's message; a matching PV binds it", async (t) => {
  await apply(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: manual}
provisioner: example.com/nobody
volumeBindingMode: Immediate
`);
  await apply(claimYaml('manual-data', '  storageClassName: manual\n'));
  await apply(podYaml('manual-app', 'manual-data'));
  const message =
    '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. ' +
    'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
  await waitFor('the Unschedulable condition', kubectl, ['pod/manual-app', '--for=jsonpath={.status.conditions[0].reason}=Unschedulable']);
  const pod = await jsonOf<{ status: { phase: string; conditions: Array<{ type: string; message: string }> } }>([
    'get',
    'pod',
    'manual-app',
  ]);
  t.equal(pod.status.phase, 'Pending');
  t.equal(pod.status.conditions.find((c) => c.type === 'PodScheduled')?.message, message);
  const events = await kubectl([
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=manual-app,reason=FailedScheduling',
    '-o',
    'jsonpath={.items[0].message}',
  ]);
  t.equal(events.stdout, message);
  const claimEvents = await kubectl([
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=manual-data',
    '-o',
    'custom-columns=R:.reason',
  ]);
  t.match(claimEvents.stdout, 'ExternalProvisioning');

  await apply(`apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-pv}
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: manual
  hostPath: {path: /mnt/manual}
`);
  await waitFor('the claim', kubectl, ['pvc/manual-data', '--for=jsonpath={.status.phase}=Bound']);
  await waitFor('the pod', kubectl, ['pod/manual-app', '--for=condition=Ready']);
  const claim = await jsonOf<Claim>(['get', 'pvc', 'manual-data']);
  t.equal(claim.spec.volumeName, 'manual-pv');
  t.same(claim.status.capacity, { storage: '2Gi' });

  // Retain: the volume outlives its claim as Released.
  await kubectl(['delete', 'pod', 'manual-app', '--wait=true']);
  await kubectl(['delete', 'pvc', 'manual-data', '--wait=true']);
  await waitFor('the released volume', kubectl, ['pv/manual-pv', '--for=jsonpath={.status.phase}=Released']);
});

t.test('a pod whose claim does not exist is refused by the VolumeBinding PreFilter', async (t) => {
  await apply(podYaml('orphan-app', 'no-such-claim'));
  await waitFor('the Unschedulable condition', kubectl, ['pod/orphan-app', '--for=jsonpath={.status.conditions[0].reason}=Unschedulable']);
  const message = await kubectl(['get', 'pod', 'orphan-app', '-o', 'jsonpath={.status.conditions[0].message}']);
  t.equal(
    message.stdout,
    '0/3 nodes are available: persistentvolumeclaim "no-such-claim" not found. ' +
      'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
  );
});
