/**
 * The serve command's simulation options, as a user runs them:
 * `--install-kubevirt` is ready only once KubeVirt is Available, and
 * `--clock virtual` holds time still until the `clock` command moves it
 * (work that takes no simulated time still happens at once).
 */
import t from 'tap';
import { join } from 'node:path';
import { runCli, startServe } from '../../helpers/cli-process.js';
import { runKubectl } from '../../helpers/kubectl.js';

t.test('serve --install-kubevirt: KubeVirt is Available when the ready line appears', async (t) => {
  const dir = t.testdir();
  const serve = await startServe(t, [
    '--port',
    '0',
    '--kubeconfig',
    join(dir, 'kubeconfig'),
    '--data-dir',
    join(dir, 'data'),
    '--log-level',
    'error',
    '--install-kubevirt',
  ]);
  const kubectl = (args: string[]) => runKubectl(args, { kubeconfig: serve.kubeconfig, cacheDir: join(dir, 'cache') });
  const phase = await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'jsonpath={.status.phase}']);
  t.equal(phase.stdout, 'Deployed', phase.stderr);
  const wait = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=1s']);
  t.equal(wait.code, 0, wait.stderr);
  const vms = await kubectl(['api-resources', '--api-group=kubevirt.io', '-o', 'name']);
  t.match(vms.stdout, 'virtualmachines.kubevirt.io');
});

t.test('serve --clock virtual: time moves only through the clock command', async (t) => {
  const dir = t.testdir();
  const kubeconfig = join(dir, 'kubeconfig');
  await startServe(t, [
    '--port',
    '0',
    '--kubeconfig',
    kubeconfig,
    '--data-dir',
    join(dir, 'data'),
    '--log-level',
    'error',
    '--clock',
    'virtual',
    '--profile',
    'realistic',
  ]);
  const kubectl = (args: string[], input?: string) => runKubectl(args, { kubeconfig, cacheDir: join(dir, 'cache'), input });
  const clock = async (...args: string[]) => {
    const result = await runCli(['clock', ...args, '--kubeconfig', kubeconfig]);
    t.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { mode: string; now: string; pendingTimers: number };
  };

  const before = await clock();
  t.equal(before.mode, 'virtual');
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
  t.equal((await kubectl(['create', '-f', '-'], JSON.stringify(pod))).code, 0);
  const podPhase = async () => (await kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'])).stdout;
  // What takes no simulated time (scheduling) happens at once; the realistic image pull and start wait for the clock.
  t.equal(await podPhase(), 'Pending', 'no time has passed: the container has not started');
  t.equal((await clock()).now, before.now, 'time stands still between requests');

  const after = await clock('advance', '30s');
  t.equal(Date.parse(after.now) - Date.parse(before.now), 30_000, 'exactly 30s later');
  t.equal(await podPhase(), 'Running', 'started within the 30 simulated seconds');

  const idle = await clock('run-until-idle', '--max', '2m');
  t.equal(Date.parse(idle.now) - Date.parse(after.now), 120_000, 'periodic heartbeats keep timers pending, so the bound stops the run');
  t.ok(idle.pendingTimers > 0);

  const bad = await kubectl(['create', '--raw', '/emulator/clock/advance?by=soon', '-f', '-'], '{}');
  t.not(bad.code, 0);
  t.match(bad.stderr, 'query parameter "by": invalid duration "soon"');
});

t.test('the clock command against a real-clock emulator says how to get a virtual one', async (t) => {
  const dir = t.testdir();
  const kubeconfig = join(dir, 'kubeconfig');
  await startServe(t, ['--port', '0', '--kubeconfig', kubeconfig, '--data-dir', join(dir, 'data'), '--log-level', 'error']);
  const shown = await runCli(['clock', '--kubeconfig', kubeconfig]);
  t.equal(shown.code, 0, shown.stderr);
  t.equal(JSON.parse(shown.stdout).mode, 'real');
  const advanced = await runCli(['clock', 'advance', '1m', '--kubeconfig', kubeconfig]);
  t.equal(advanced.code, 1);
  t.match(advanced.stderr, 'the emulator runs on the real clock; start it with --clock virtual to control time');
});
