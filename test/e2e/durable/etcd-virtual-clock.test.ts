// `serve --clock virtual --etcd-servers`: a virtual clock runs no timer while a write is on its way to etcd (its
// commit and its watch echo), as for other off-loop work; before, `--install-kubevirt` ran its 10 minutes of virtual
// time out while the controllers' writes were in flight, and timed out. Real etcd (Debian's etcd-server), real process.
import t from 'tap';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { startServe } from '../../helpers/cli-process.js';
import { startEtcdCluster } from '../../helpers/etcd-cluster.js';
import { rawClient } from '../../helpers/raw-https.js';

const dir = t.testdir();
const etcd = await startEtcdCluster(t, dir, 1);

t.test('on a virtual clock, --install-kubevirt on etcd is ready with KubeVirt Available', async (t) => {
  const kubeconfig = join(dir, 'kubeconfig');
  const serve = await startServe(t, [
    ...['--port', '0', '--workers', '1', '--data-dir', join(dir, 'data'), '--kubeconfig', kubeconfig, '--log-level', 'error'],
    ...['--clock', 'virtual', '--install-kubevirt', '--etcd-servers', etcd.endpoints.join(',')],
  ]);
  const api = rawClient(serve.url, kubeconfig);
  const kubevirt = await api.send('GET', '/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt');
  const conditions = (kubevirt.json.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  t.ok(
    conditions.some((c) => c.type === 'Available' && c.status === 'True'),
    'KubeVirt Available when the emulator is ready',
  );
  const client = new Etcd3({ hosts: etcd.endpoints });
  t.teardown(() => client.close());
  t.equal((await client.get('/registry/kubevirt.io/kubevirts/kubevirt/kubevirt').exec()).kvs.length, 1, 'the KubeVirt CR is in etcd');
  serve.child.kill('SIGTERM');
  t.equal(await serve.exited, 0, 'a clean stop');
});
