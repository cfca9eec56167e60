import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readyLine } from '../../../src/cli/serve.js';
import { runKubectl } from '../../helpers/kubectl.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const READY = /^kubevirt-emulator ready: (https:\/\/127\.0\.0\.1:\d+) kubeconfig=(.+)$/m;

t.test('the ready line names the URL and the kubeconfig', async (t) => {
  t.equal(
    readyLine({ url: 'https://127.0.0.1:6443', kubeconfigPath: '/home/u/.kube/config' }),
    'kubevirt-emulator ready: https://127.0.0.1:6443 kubeconfig=/home/u/.kube/config',
  );
});

t.test('serve starts, answers kubectl, and exits 0 on SIGTERM', async (t) => {
  const dir = t.testdir();
  const kubeconfig = join(dir, 'kubeconfig');
  // process.execArgv carries tap's TypeScript loader, so the child can run main.ts.
  const child = spawn(
    process.execPath,
    [...process.execArgv, MAIN, '--port', '0', '--kubeconfig', kubeconfig, '--data-dir', join(dir, 'data'), '--log-level', 'error'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = READY.exec(stdout);
      if (match) resolve(match);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before it was ready\n${stderr}`)));
  });
  t.equal(ready[2], kubeconfig);
  t.equal(stdout.trim().split('\n').length, 1, 'exactly one line on stdout');

  const version = await runKubectl(['version', '-o', 'json'], { kubeconfig, cacheDir: join(dir, 'cache') });
  t.equal(version.code, 0, version.stderr);
  t.equal(JSON.parse(version.stdout).serverVersion?.gitVersion, 'v1.32.3');

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean exit on SIGTERM');
});
