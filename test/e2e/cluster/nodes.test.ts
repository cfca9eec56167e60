import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
spec:
  nodeName: kubevirt-emulator-worker
  containers:
  - name: nginx
    image: nginx:1.27
`;

/** One emulator for the file: the nodes test reads what the cluster starts with, the logs test adds a pod of its own. */
let shared: EmulatorFixture;
t.before(async () => {
  shared = await withEmulator(t, { insecureHttp: true });
});

t.test('kubectl sees kind-like nodes', async (t) => {
  const { kubectl } = shared;
  const wide = await kubectl(['get', 'nodes', '-o', 'wide']);
  t.equal(wide.code, 0, wide.stderr);
  const lines = wide.stdout.trim().split('\n');
  t.match(lines[0], /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/);
  t.match(
    lines[1],
    /^kubevirt-emulator-control-plane\s+Ready\s+control-plane\s+\S+\s+v1\.32\.\d+\s+172\.18\.0\.2\s+<none>\s+Debian GNU\/Linux 12 \(bookworm\)\s+6\.8\.0-51-generic\s+containerd:\/\/1\.7\.24$/,
  );
  t.match(lines[2], /^kubevirt-emulator-worker\s+Ready\s+<none>\s+/);
  t.match(lines[3], /^kubevirt-emulator-worker2\s+Ready\s+<none>\s+/);

  const describe = await kubectl(['describe', 'node', 'kubevirt-emulator-control-plane']);
  t.equal(describe.code, 0, describe.stderr);
  t.match(describe.stdout, /Taints:\s+node-role.kubernetes.io\/control-plane:NoSchedule/);
  t.match(describe.stdout, /HolderIdentity:\s+kubevirt-emulator-control-plane/);
  t.match(describe.stdout, /Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status/);
  t.match(describe.stdout, /PodCIDR:\s+10\.244\.0\.0\/24/);
  t.match(describe.stdout, /ProviderID:\s+kind:\/\/docker\/kubevirt-emulator\/kubevirt-emulator-control-plane/);
  t.match(describe.stdout, /Capacity:\n\s+cpu:\s+8\n/);
});

t.test('kubectl logs reads a simulated container log', async (t) => {
  const { kubectl } = shared;
  t.equal((await kubectl(['apply', '-f', '-'], { input: POD })).code, 0);
  const wait = await kubectl(['wait', '--for=condition=Ready', 'pod/web', '--timeout=20s']);
  t.equal(wait.code, 0, wait.stderr);
  const logs = await kubectl(['logs', 'web']);
  t.equal(logs.code, 0, logs.stderr);
  t.match(logs.stdout, /nginx\/1\.27\.0/);
  const tail = await kubectl(['logs', 'web', '--tail=1']);
  t.match(tail.stdout, /^\S+ \S+ \[notice\] 1#1: start worker process 29\n$/);
  const wide = await kubectl(['get', 'pod', 'web', '-o', 'wide']);
  t.match(wide.stdout, /web\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.1\.\d+\s+kubevirt-emulator-worker/);
});
