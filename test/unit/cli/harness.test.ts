import t from 'tap';
import { existsSync } from 'node:fs';
import { withEmulator } from '../../helpers/cluster.js';
import { kubectlPath } from '../../helpers/kubectl.js';

t.test('the pinned kubectl is 1.32', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const result = spawnSync(kubectlPath(), ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  t.match(JSON.parse(result.stdout).clientVersion.gitVersion, /^v1\.32\.\d+$/);
});

t.test('withEmulator gives kubectl its own kubeconfig and cache', async (t) => {
  let kubeconfigPath = '';
  await t.test('inner test owns the emulator', async (t) => {
    const cluster = await withEmulator(t);
    kubeconfigPath = cluster.kubeconfigPath;
    t.ok(existsSync(kubeconfigPath));
    const namespaces = await cluster.kubectl(['get', 'namespaces', '-o', 'name']);
    t.equal(namespaces.code, 0, namespaces.stderr);
    t.match(namespaces.stdout, /^namespace\/default$/m);
    const created = await cluster.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-stdin', namespace: 'default' } }),
    });
    t.equal(created.code, 0, created.stderr);
    t.equal(created.stdout.trim(), 'configmap/from-stdin created');
  });
  t.notOk(existsSync(kubeconfigPath), 'teardown removed the kubeconfig');
});
