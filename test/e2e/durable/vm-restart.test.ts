// A control-plane restart does not kill workloads: a VM Running before `serve` stops is Running after it comes back
// on the same data dir, with the same VMI (uid) and launcher pod; the restart re-creates nothing (nodes, namespaces,
// the KubeVirt install are adopted as they are).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServe, type ServeProcess } from '../../helpers/cli-process.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';
import { runKubectl } from '../../helpers/kubectl.js';

const dir = t.testdir();
const args = ['--port', '0', '--workers', '1', '--data-dir', join(dir, 'data'), '--kubeconfig', join(dir, 'kc'), '--log-level', 'fatal'];
const kubectl = (serve: ServeProcess, kubectlArgs: string[], input?: string) =>
  runKubectl(kubectlArgs, { kubeconfig: serve.kubeconfig, cacheDir: join(dir, 'cache'), input });

/** What must survive a restart unchanged: uids of the VMI, its launcher pod, the nodes, the KubeVirt CR. */
async function identities(serve: ServeProcess): Promise<string> {
  const columns = 'custom-columns=KIND:.kind,NAME:.metadata.name,UID:.metadata.uid,PHASE:.status.phase';
  const answer = await kubectl(serve, ['get', 'vmi,nodes,namespaces', '-o', columns, '--sort-by=.metadata.name']);
  const kubevirt = await kubectl(serve, ['-n', 'kubevirt', 'get', 'kubevirt', '-o', columns]);
  const launchers = await kubectl(serve, ['get', 'pods', '-l', 'kubevirt.io=virt-launcher', '-o', columns]);
  return [answer.stdout, kubevirt.stdout, launchers.stdout].join('');
}

t.test('a VM Running before a restart is Running after it, with the same VMI uid; nothing is created twice', async (t) => {
  const first = await startServe(t, [...args, '--install-kubevirt']);
  const vm = readFileSync(kubevirtSchema('examples/vm-cirros.yaml'), 'utf8').replace('runStrategy: Halted', 'runStrategy: Always');
  const applied = await kubectl(first, ['apply', '-f', '-'], vm);
  t.equal(applied.code, 0, applied.stderr);
  const running = await kubectl(first, ['wait', 'vmi', 'vm-cirros', '--for=jsonpath={.status.phase}=Running', '--timeout=120s']);
  t.equal(running.code, 0, running.stderr);
  const before = await identities(first);
  t.match(before, /VirtualMachineInstance\s+vm-cirros\s+\S+\s+Running/);
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0);

  // Started again as a user would, with the same command line: the install adopts what exists.
  const second = await startServe(t, [...args, '--install-kubevirt']);
  const ready = await kubectl(second, ['wait', 'vm', 'vm-cirros', '--for=condition=Ready', '--timeout=60s']);
  t.equal(ready.code, 0, ready.stderr);
  t.equal(await identities(second), before, 'the same VMI, launcher pod, nodes, namespaces and KubeVirt, by uid, and the VMI Running');
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
});
