/** The simulated container's command runner: builtins, the image table, sh -c scripts and the interactive shell. */
import t from 'tap';
import { containerEnvironment } from '../../../../src/cluster/exec/images.js';
import { tableRunner } from '../../../../src/cluster/exec/shell.js';
import type { Pod } from '../../../../src/kube/pods.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', annotations: {} },
  spec: { containers: [{ name: 'main', image: 'nginx:1.27', env: [{ name: 'MODE', value: 'prod' }] }] },
  status: { podIP: '10.244.1.9' },
} as unknown as Pod;
const env = containerEnvironment(pod, pod.spec.containers[0]);

async function run(argv: string[], input?: string, tty = false) {
  let stdout = '';
  let stderr = '';
  const process = tableRunner.start(argv, env, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, { tty });
  if (input !== undefined) process.input(Buffer.from(input));
  process.input(undefined);
  return { code: await process.exited, stdout, stderr };
}

t.test('builtins and files', async (t) => {
  t.same(await run(['echo', 'a', 'b']), { code: 0, stdout: 'a b\n', stderr: '' });
  t.same(await run(['/bin/hostname']), { code: 0, stdout: 'web\n', stderr: '' });
  t.match((await run(['cat', '/etc/hosts'])).stdout, '10.244.1.9\tweb');
  t.match((await run(['cat', '/etc/resolv.conf'])).stdout, 'search shop.svc.cluster.local');
  t.same(await run(['cat', '/nope']), { code: 1, stdout: '', stderr: "cat: can't open '/nope': No such file or directory\n" });
  t.same((await run(['ls', '/etc'])).stdout, 'hostname\nhosts\nos-release\nresolv.conf\n');
  t.match((await run(['env'])).stdout, 'MODE=prod\n');
  t.throws(() => tableRunner.start(['nosuch'], env, { stdout() {}, stderr() {} }, { tty: false }), /executable file not found in \$PATH/);
});

t.test('sh -c: quoting, variables, $?, connectors and exit', async (t) => {
  t.same(await run(['sh', '-c', `echo "mode is $MODE" 'and $MODE' \${HOSTNAME}`]), {
    code: 0,
    stdout: 'mode is prod and $MODE web\n',
    stderr: '',
  });
  t.same(await run(['sh', '-c', 'false; echo $?; true && echo yes || echo no; false && echo skipped || echo fallback']), {
    code: 0,
    stdout: '1\nyes\nfallback\n',
    stderr: '',
  });
  t.same(await run(['sh', '-c', 'nosuch; exit 7; echo never']), { code: 7, stdout: '', stderr: 'sh: nosuch: not found\n' });
  t.same(await run(['bash', '-c', 'echo to-err >&2']), { code: 0, stdout: '', stderr: 'to-err\n' });
});

t.test('interactive sh: lines from stdin; on a TTY a prompt, echo, CR LF and backspace', async (t) => {
  t.same(await run(['sh'], 'echo one\nexit 3\necho never\n'), { code: 3, stdout: 'one\n', stderr: '' });
  const tty = await run(['sh'], 'echp\x7fo hi\r', true);
  t.equal(tty.stdout, '# echp\b \bo hi\r\nhi\r\n# ');
  t.same(await run(['cat'], 'copied\n'), { code: 0, stdout: 'copied\n', stderr: '' });
});
