/**
 * A fresh cluster lists what a fresh kind v1.32 cluster lists, seen with the real kubectl:
 * kube-system's CoreDNS, kindnet and kube-proxy pods and the control plane's mirror pods,
 * the kube-dns Service at the service range's tenth address with endpoints, and
 * local-path-storage with its provisioner.
 */
import t from 'tap';
import { CONTROL_PLANE_NODE } from '../../../src/cluster/nodes/index.js';
import { withEmulator } from '../../helpers/cluster.js';

const { kubectl } = await withEmulator(t, { insecureHttp: true });

async function json<T>(args: string[]): Promise<T> {
  const result = await kubectl([...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** `kubectl get pods` rows (name, ready, status) once every pod of the namespace is Ready. */
async function readyPods(namespace: string, count: number): Promise<string[][]> {
  const waited = await kubectl(['wait', '-n', namespace, 'pods', '--all', '--for=condition=Ready', '--timeout=30s']);
  if (waited.code !== 0) throw new Error(waited.stderr);
  const listed = await kubectl(['get', 'pods', '-n', namespace, '--no-headers']);
  const rows = listed.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/).slice(0, 3));
  if (rows.length !== count) throw new Error(`expected ${count} pods in ${namespace}:\n${listed.stdout}`);
  return rows;
}

t.test('kubectl get pods -n kube-system: CoreDNS, kindnet, kube-proxy and the control plane, all Running', async (t) => {
  const rows = await readyPods('kube-system', 12);
  const names = rows.map(([name]) => name!);
  const shapes = names.map((name) =>
    name.replace(/^coredns-[a-z0-9]{8,10}-[a-z0-9]{5}$/, 'coredns-*').replace(/^(kindnet|kube-proxy)-[a-z0-9]{5}$/, '$1-*'),
  );
  t.same(shapes, [
    'coredns-*',
    'coredns-*',
    `etcd-${CONTROL_PLANE_NODE}`,
    'kindnet-*',
    'kindnet-*',
    'kindnet-*',
    `kube-apiserver-${CONTROL_PLANE_NODE}`,
    `kube-controller-manager-${CONTROL_PLANE_NODE}`,
    'kube-proxy-*',
    'kube-proxy-*',
    'kube-proxy-*',
    `kube-scheduler-${CONTROL_PLANE_NODE}`,
  ]);
  for (const [name, ready, status] of rows) t.same([ready, status], ['1/1', 'Running'], name);

  for (const [selector, count] of [
    ['k8s-app=kube-dns', 2],
    ['k8s-app=kube-proxy', 3],
    ['app=kindnet', 3],
    ['tier=control-plane', 4],
    ['component=etcd', 1],
  ] as const) {
    const listed = await kubectl(['get', 'pods', '-n', 'kube-system', '-l', selector, '-o', 'name']);
    t.equal(listed.stdout.trim().split('\n').length, count, selector);
  }
  const proxies = await json<{ items: Array<{ spec: { nodeName: string } }> }>([
    'get',
    'pods',
    '-n',
    'kube-system',
    '-l',
    'k8s-app=kube-proxy',
  ]);
  t.equal(new Set(proxies.items.map((p) => p.spec.nodeName)).size, 3, 'one kube-proxy per node');
});

t.test('the control-plane pods are mirror pods of the control-plane node', async (t) => {
  const etcd = await json<{
    metadata: { labels: Record<string, string>; annotations: Record<string, string>; ownerReferences: Array<Record<string, unknown>> };
    spec: { nodeName: string; hostNetwork: boolean; containers: Array<{ image: string }> };
    status: { podIP: string; hostIP: string };
  }>(['get', 'pod', '-n', 'kube-system', `etcd-${CONTROL_PLANE_NODE}`]);
  t.same(etcd.metadata.labels, { component: 'etcd', tier: 'control-plane' });
  const { annotations } = etcd.metadata;
  t.match(annotations['kubernetes.io/config.hash'], /^[0-9a-f]{32}$/);
  t.equal(annotations['kubernetes.io/config.mirror'], annotations['kubernetes.io/config.hash']);
  t.equal(annotations['kubernetes.io/config.source'], 'file');
  t.match(annotations['kubernetes.io/config.seen'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  t.equal(annotations['kubeadm.kubernetes.io/etcd.advertise-client-urls'], `https://${etcd.status.hostIP}:2379`);
  t.match(etcd.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: CONTROL_PLANE_NODE, controller: true }]);
  t.equal(etcd.spec.nodeName, CONTROL_PLANE_NODE);
  t.equal(etcd.status.podIP, etcd.status.hostIP, 'host network');
  const apiserver = await json<{ spec: { containers: Array<{ image: string }> } }>([
    'get',
    'pod',
    '-n',
    'kube-system',
    `kube-apiserver-${CONTROL_PLANE_NODE}`,
  ]);
  t.equal(apiserver.spec.containers[0]?.image, 'registry.k8s.io/kube-apiserver:v1.32.3');
});

t.test("kube-dns: kind's cluster IP, CoreDNS's ports and endpoints", async (t) => {
  const service = await kubectl(['get', 'service', '-n', 'kube-system', 'kube-dns', '--no-headers']);
  t.match(service.stdout, /^kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP\s/);
  const endpoints = await json<{
    subsets: Array<{
      addresses: Array<{ ip: string; targetRef: { name: string } }>;
      ports: Array<{ name: string; port: number; protocol: string }>;
    }>;
  }>(['get', 'endpoints', '-n', 'kube-system', 'kube-dns']);
  const [subset] = endpoints.subsets;
  t.equal(subset?.addresses.length, 2);
  for (const address of subset?.addresses ?? []) {
    t.match(address.ip, /^10\.244\.\d+\.\d+$/);
    t.match(address.targetRef.name, /^coredns-/);
  }
  t.same(
    [...(subset?.ports ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
    [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'metrics', port: 9153, protocol: 'TCP' },
    ],
  );
  const corefile = await kubectl(['get', 'configmap', '-n', 'kube-system', 'coredns', '-o', 'jsonpath={.data.Corefile}']);
  t.match(corefile.stdout, /kubernetes cluster\.local in-addr\.arpa ip6\.arpa \{/);
  const proxyConfig = await kubectl(['get', 'configmap', '-n', 'kube-system', 'kube-proxy', '-o', 'jsonpath={.data.config\\.conf}']);
  t.match(proxyConfig.stdout, 'kind: KubeProxyConfiguration');
  const deployment = await kubectl(['get', 'deployment', '-n', 'kube-system', 'coredns', '--no-headers']);
  t.match(deployment.stdout, /^coredns\s+2\/2\s+2\s+2\s/);
});

t.test('local-path-storage: the provisioner Deployment and its ConfigMap', async (t) => {
  const [row] = await readyPods('local-path-storage', 1);
  t.match(row, [/^local-path-provisioner-[a-z0-9]{8,10}-[a-z0-9]{5}$/, '1/1', 'Running']);
  const deployment = await kubectl(['get', 'deployment', '-n', 'local-path-storage', '--no-headers']);
  t.match(deployment.stdout, /^local-path-provisioner\s+1\/1\s+1\s+1\s/);
  const config = await kubectl([
    'get',
    'configmap',
    '-n',
    'local-path-storage',
    'local-path-config',
    '-o',
    'jsonpath={.data.config\\.json}',
  ]);
  t.match(config.stdout, '"paths":["/var/local-path-provisioner"]');
});
