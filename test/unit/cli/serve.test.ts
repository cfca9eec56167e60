import t from 'tap';
import { join } from 'node:path';
import { readyLine } from '../../../src/cli/serve.js';
import { startServe } from '../../helpers/cli-process.js';
import { runKubectl } from '../../helpers/kubectl.js';

t.test('the ready line names the URL and the kubeconfig', async (t) => {
  t.equal(
    readyLine({ url: 'https://127.0.0.1:6443', kubeconfigPath: '/home/u/.kube/config' }),
    'kubevirt-emulator ready: https://127.0.0.1:6443 kubeconfig=/home/u/.kube/config',
  );
});

t.test('serve starts, answers kubectl, and exits 0 on SIGTERM', async (t) => {
  const dir = t.testdir();
  const kubeconfig = join(dir, 'kubeconfig');
  const serve = await startServe(t, ['--port', '0', '--kubeconfig', kubeconfig, '--data-dir', join(dir, 'data'), '--log-level', 'error']);
  t.equal(serve.kubeconfig, kubeconfig);
  t.match(serve.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.equal(serve.stdout().trim().split('\n').length, 1, 'exactly one line on stdout');

  const version = await runKubectl(['version', '-o', 'json'], { kubeconfig, cacheDir: join(dir, 'cache') });
  t.equal(version.code, 0, version.stderr);
  t.equal(JSON.parse(version.stdout).serverVersion?.gitVersion, 'v1.32.3');

  serve.child.kill('SIGTERM');
  t.equal(await serve.exited, 0, 'clean exit on SIGTERM');
});
