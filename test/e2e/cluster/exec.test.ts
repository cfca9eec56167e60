/**
 * pods/exec and pods/attach with the real kubectl 1.32 (WebSocket,
 * v5.channel.k8s.io): output, stderr and exit codes, stdin, the API server's
 * errors, RBAC, `kubectl exec -it` on a pseudo-terminal (util-linux `script`),
 * and `kubectl attach` to a container's interactive main process.
 */
import { spawn } from 'node:child_process';
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { kubectlPath } from '../../helpers/kubectl.js';

let fixture: EmulatorFixture;

const pods = `
apiVersion: v1
kind: Pod
metadata: {name: shell, namespace: default}
spec:
  initContainers:
  - {name: setup, image: docker.io/library/busybox:1.36}
  containers:
  - {name: main, image: docker.io/library/alpine:3.20, command: [sleep, infinity], env: [{name: GREETING, value: hello}]}
  - {name: sidecar, image: docker.io/library/busybox:1.36}
---
apiVersion: v1
kind: Pod
metadata: {name: interactive, namespace: default}
spec:
  containers:
  - {name: main, image: docker.io/library/busybox:1.36, command: [sh], stdin: true, stdinOnce: true}
`;

t.before(async () => {
  fixture = await withEmulator(t, { workers: 1 });
  const apply = await fixture.kubectl(['apply', '-f', '-'], { input: pods });
  if (apply.code !== 0) throw new Error(apply.stderr);
  const ready = await fixture.kubectl(['wait', 'pod', 'shell', 'interactive', '--for=condition=Ready', '--timeout=60s'], {
    timeoutMs: 70_000,
  });
  if (ready.code !== 0) throw new Error(ready.stderr);
});

const exec = (args: string[], input?: string) => fixture.kubectl(['exec', ...args], { input });

t.test('kubectl exec: output, stderr and exit codes', async (t) => {
  const echo = await exec(['shell', '-c', 'main', '--', 'echo', 'hello', 'world']);
  t.same([echo.code, echo.stdout, echo.stderr], [0, 'hello world\n', '']);

  const hostname = await exec(['shell', '-c', 'main', '--', 'cat', '/etc/hostname', '/etc/os-release']);
  t.equal(hostname.code, 0);
  t.match(hostname.stdout, /^shell\nNAME="Alpine Linux"/);

  const script = await exec(['shell', '-c', 'main', '--', 'sh', '-c', 'echo "$GREETING from $HOSTNAME"; echo oops >&2; exit 3']);
  t.equal(script.code, 3);
  t.equal(script.stdout, 'hello from shell\n');
  t.equal(script.stderr, 'oops\ncommand terminated with exit code 3\n');

  const failing = await exec(['shell', '-c', 'main', '--', 'sh', '-c', 'false || nosuch']);
  t.equal(failing.code, 127);
  t.match(failing.stderr, 'sh: nosuch: not found\ncommand terminated with exit code 127');

  const missing = await exec(['shell', '-c', 'main', '--', 'nosuch']);
  t.equal(missing.code, 1);
  t.match(
    missing.stderr,
    /^error: Internal error occurred: error executing command in container: .*exec: "nosuch": executable file not found in \$PATH/,
  );
});

t.test('kubectl exec -i passes stdin; the default container is the first', async (t) => {
  const cat = await exec(['-i', 'shell', '--', 'cat'], 'line one\nline two\n');
  t.equal(cat.code, 0, cat.stderr);
  t.equal(cat.stdout, 'line one\nline two\n');
  t.match(cat.stderr, 'Defaulted container "main" out of: main, sidecar');
});

t.test('errors as kube-apiserver answers them', async (t) => {
  const badContainer = await exec(['shell', '-c', 'nope', '--', 'true']);
  t.equal(badContainer.code, 1);
  t.match(badContainer.stderr, 'Error from server (BadRequest): container nope is not valid for pod shell');

  // The kubelet finds only running containers; the API server reports its failure on the open stream.
  const finished = await exec(['shell', '-c', 'setup', '--', 'true']);
  t.equal(finished.code, 1);
  t.match(finished.stderr, 'error: Internal error occurred: unable to upgrade connection: container not found ("setup")');

  const pending = `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pending"},
    "spec": {"nodeSelector": {"no-such": "node"}, "containers": [{"name": "c", "image": "busybox"}]}}`;
  t.equal((await fixture.kubectl(['apply', '-f', '-'], { input: pending })).code, 0);
  const unscheduled = await exec(['pending', '--', 'true']);
  t.match(unscheduled.stderr, 'Error from server (BadRequest): pod pending does not have a host assigned');

  const noPod = await exec(['nopod', '--', 'true']);
  t.match(noPod.stderr, 'Error from server (NotFound): pods "nopod" not found');

  const plain = await fixture.kubectl(
    ['create', '--raw', '/api/v1/namespaces/default/pods/shell/exec?command=true&stdout=true', '-f', '-'],
    {
      input: '{}',
    },
  );
  t.match(plain.stderr, 'Upgrade request required');

  const rbac = [
    ['create', 'serviceaccount', 'viewer'],
    ['create', 'rolebinding', 'viewer', '--clusterrole=view', '--serviceaccount=default:viewer'],
  ];
  for (const args of rbac) t.equal((await fixture.kubectl(args)).code, 0);
  const denied = await exec(['--as=system:serviceaccount:default:viewer', 'shell', '-c', 'main', '--', 'true']);
  t.equal(denied.code, 1);
  t.match(
    denied.stderr,
    'Error from server (Forbidden): pods "shell" is forbidden: User "system:serviceaccount:default:viewer" cannot create resource "pods/exec" in API group "" in the namespace "default"',
  );
});

t.test('kubectl exec over SPDY/3.1 (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false)', async (t) => {
  const env = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
  const script = await fixture.kubectl(['exec', 'shell', '-c', 'main', '--', 'sh', '-c', 'echo spdy; echo oops >&2; exit 5'], { env });
  t.same([script.code, script.stdout, script.stderr], [5, 'spdy\n', 'oops\ncommand terminated with exit code 5\n']);
  const cat = await fixture.kubectl(['exec', '-i', 'shell', '-c', 'main', '--', 'cat'], { env, input: 'through spdy\n' });
  t.same([cat.code, cat.stdout], [0, 'through spdy\n'], cat.stderr);
  const ok = await fixture.kubectl(['exec', 'shell', '-c', 'main', '--', 'true'], { env });
  t.same([ok.code, ok.stderr], [0, '']);
});

/** Runs kubectl on a pseudo-terminal (util-linux script), typing `keys` once the remote prompt appears. */
function onTerminal(args: string[], keys: string[], prompt: RegExp): Promise<{ code: number | null; output: string }> {
  const command = [kubectlPath(), ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    env: { ...process.env, KUBECONFIG: fixture.kubeconfigPath, TERM: 'dumb' },
  });
  let output = '';
  let typed = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    // Each key string is typed after one more prompt has appeared.
    while (typed < keys.length && (output.match(new RegExp(prompt, 'g')) ?? []).length > typed) child.stdin.write(keys[typed++]);
  });
  const timer = setTimeout(() => child.kill(), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

t.test('kubectl exec -it runs an interactive shell on a terminal', async (t) => {
  const session = await onTerminal(['exec', '-it', 'shell', '-c', 'main', '--', 'sh'], ['echo hi-$HOSTNAME\r', 'exit 4\r'], /# /);
  t.match(session.output, '# echo hi-$HOSTNAME\r\nhi-shell\r\n# exit 4');
  t.equal(session.code, 4, session.output);
});

t.test('kubectl attach -i to a container whose main process reads stdin', async (t) => {
  const attach = await fixture.kubectl(['attach', '-i', 'interactive'], { input: 'echo attached; hostname\n' });
  t.equal(attach.code, 0, attach.stderr);
  t.equal(attach.stdout, 'attached\ninteractive\n');
});
