// Killing one of two emulators on one etcd is a machine failure. The survivor runs on a virtual clock the test moves
// on (`serve --clock virtual`), so the minutes a failure takes cost seconds: it takes the controllers' Leases within
// the lease duration, the dead emulator's node goes NotReady, and KubeVirt handles the VM on it as on a node failure
// (pkg/virt-controller/watch/node: stale virt-handler heartbeat -> node unschedulable; once the node is fenced with
// `kubectl delete node`, PodGC removes the launcher pod, the VMI fails with NodeUnresponsive and the VM starts anew).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServe, type ServeProcess } from '../../helpers/cli-process.js';
import { startEtcdCluster } from '../../helpers/etcd-cluster.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';
import { rawClient, type RawClient } from '../../helpers/raw-https.js';
import { runKubectl } from '../../helpers/kubectl.js';

const dir = t.testdir();
// One member: this file is about the emulators; etcd.test.ts covers a member's death.
const etcd = await startEtcdCluster(t, dir, 1);

interface Emulator {
  api: RawClient;
  serve: ServeProcess;
  kubeconfig: string;
}

async function serve(name: string, extra: string[]): Promise<Emulator> {
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  const args = ['--port', '0', '--data-dir', join(dir, name), '--kubeconfig', kubeconfig, '--log-level', 'error'];
  const started = await startServe(t, [...args, '--etcd-servers', etcd.endpoints.join(','), ...extra]);
  return { api: rawClient(started.url, kubeconfig), serve: started, kubeconfig };
}

type Vmi = { metadata: { uid: string; name: string }; status?: { phase?: string; nodeName?: string; reason?: string } };
const vmiOf = async (api: RawClient): Promise<Vmi | undefined> => {
  const answer = await api.send('GET', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/vm-cirros');
  return answer.status === 200 ? (answer.json as unknown as Vmi) : undefined;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` on the real clock for up to `seconds`. */
async function waitFor(seconds: number, probe: () => Promise<boolean>): Promise<boolean> {
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline; await sleep(200)) if (await probe()) return true;
  return probe();
}

// a adds one node, a-worker, and leads every controller (it starts first); it runs on the real clock. b adds kind's
// control plane, where KubeVirt's virt-operator and virt-controller must run (their required node affinity), and a
// worker; its clock is virtual, kept level with the real one while a lives, then moved on by the test to play the
// minutes a failure takes.
const a = await serve('a', ['--node-prefix', 'a', '--workers', '1']);
const clockOfB = async () => Date.parse((await b.api.send('GET', '/emulator/clock')).json.now as string);
/** Moves b's clock by `seconds` in steps, so that b's components see their own writes come back between them. */
async function advanceB(seconds: number): Promise<void> {
  for (let done = 0; done < seconds; done += 1) {
    const moved = await b.api.send('POST', '/emulator/clock/advance?by=1s');
    if (moved.status !== 200) throw new Error(`advance: ${moved.text}`);
    await sleep(10);
  }
}
async function keepBLevel(): Promise<void> {
  const behind = Math.floor((Date.now() - (await clockOfB())) / 1000);
  if (behind > 0) await advanceB(behind);
}
const kubectl = async (args: string[], input?: string) => {
  const run = await runKubectl(args, { kubeconfig: a.kubeconfig, cacheDir: join(dir, 'cache'), input });
  if (run.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
};
/** Polls `probe` for up to `seconds` of real time, keeping b's clock level meanwhile. */
async function waitLevel(seconds: number, probe: () => Promise<boolean>): Promise<boolean> {
  return waitFor(seconds, async () => {
    await keepBLevel();
    return probe();
  });
}

// KubeVirt installed as its documentation says, through a, which takes the kubevirt Leases once their namespace exists.
for (const manifest of ['kubevirt-operator.yaml', 'kubevirt-cr.yaml'])
  await kubectl(['apply', '-f', kubevirtSchema(`manifests/${manifest}`)]);
const leased = await waitFor(30, async () => {
  const leases = await a.api.send('GET', '/apis/coordination.k8s.io/v1/namespaces/kubevirt/leases');
  return ((leases.json.items as unknown[] | undefined) ?? []).length === 2;
});
if (!leased) throw new Error('a did not take the kubevirt Leases');
const b = await serve('b', ['--workers', '1', '--seed', '2', '--clock', 'virtual']);
const available = await waitLevel(90, async () => {
  const kv = await a.api.send('GET', '/apis/kubevirt.io/v1/namespaces/kubevirt/kubevirts/kubevirt');
  return ((kv.json.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some(
    (c) => c.type === 'Available' && c.status === 'True',
  );
});
if (!available) throw new Error('KubeVirt did not become Available');
// The VM starts on a's node: b's worker is cordoned meanwhile.
await kubectl(['cordon', 'kubevirt-emulator-worker']);
const vm = readFileSync(kubevirtSchema('examples/vm-cirros.yaml'), 'utf8').replace('runStrategy: Halted', 'runStrategy: Always');
await kubectl(['apply', '-f', '-'], vm);
if (!(await waitLevel(60, async () => (await vmiOf(a.api))?.status?.phase === 'Running'))) throw new Error('the VMI did not run');
const first = (await vmiOf(a.api))!;
await kubectl(['uncordon', 'kubevirt-emulator-worker']);
const labelsOf = async (node: string) =>
  ((await b.api.send('GET', `/api/v1/nodes/${node}`)).json.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};

const LEASES = [
  ['kube-system', 'kube-controller-manager'],
  ['kube-system', 'kube-scheduler'],
  ['kubevirt', 'virt-controller'],
  ['kubevirt', 'virt-operator'],
] as const;
type LeaseSpec = { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number };
const leaseOf = async (namespace: string, name: string) =>
  (await b.api.send('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`)).json.spec as LeaseSpec | undefined;
const readyOf = async (node: string) =>
  (
    (await b.api.send('GET', `/api/v1/nodes/${node}`)).json.status as { conditions?: { type: string; status: string }[] } | undefined
  )?.conditions?.find((c) => c.type === 'Ready')?.status;
/** Advances b's clock a second at a time until `probe` holds, for at most `seconds`; answers the seconds it took. */
async function advanceBUntil(seconds: number, probe: () => Promise<boolean>): Promise<number | undefined> {
  for (let elapsed = 0; elapsed <= seconds; elapsed++) {
    if (await probe()) return elapsed;
    await advanceB(1);
  }
  return undefined;
}

t.test('the VM runs on a node of a, whose emulator leads every controller', async (t) => {
  t.equal(first.status?.nodeName, 'a-worker');
  for (const [namespace, name] of LEASES) {
    const spec = await leaseOf(namespace, name);
    t.match(spec?.holderIdentity, /\S/, `${namespace}/${name} is held`);
    t.equal(spec?.leaseDurationSeconds, 15);
    // b has been trying to acquire it since it started (minutes ago): a Lease taken over, even once, would count a transition.
    t.equal(spec?.leaseTransitions ?? 0, 0, `${namespace}/${name} never changed hands while both run`);
  }
  const holders = new Set(await Promise.all(LEASES.map(async ([namespace, name]) => (await leaseOf(namespace, name))?.holderIdentity)));
  t.equal(holders.size, 1, "by one identity, a's");
});

/** b's time when a was killed (b's clock is level with the real one then). */
let killedAtMs = 0;

t.test('killing a: its Leases move to b within the lease duration', async (t) => {
  const before = new Map(await Promise.all(LEASES.map(async ([ns, name]) => [name, await leaseOf(ns, name)] as const)));
  await keepBLevel();
  killedAtMs = await clockOfB();
  a.serve.child.kill('SIGKILL');
  await a.serve.exited;
  // b saw each record last change at most a retry period (2 s) before the kill: it takes over once the lease duration
  // (15 s) has passed since, at its next retry. Each retry is timed from the end of the one before (client-go's sliding
  // JitterUntil, here without its jitter), and an attempt whose etcd round trip spans one of the test's 1 s steps ends a
  // second later: on a loaded machine the takeover came at 18 s, so the bound allows one more retry period.
  const moved = await advanceBUntil(30, async () => {
    for (const [namespace, name] of LEASES)
      if ((await leaseOf(namespace, name))?.holderIdentity === before.get(name)?.holderIdentity) return false;
    return true;
  });
  t.ok(moved !== undefined && moved <= 15 + 2 + 2, `every Lease moved after ${moved} s of b's time`);
  for (const [namespace, name] of LEASES) {
    const spec = await leaseOf(namespace, name);
    t.equal(spec?.leaseTransitions, (before.get(name)?.leaseTransitions ?? 0) + 1, `${namespace}/${name}: one more transition`);
  }
});

t.test("a's nodes go NotReady", async (t) => {
  // The node lifecycle controller marks a node whose kubelet was silent for the grace period (50 s); b's starts with the
  // kube-controller-manager Lease (at most 17 s after the kill) and counts the silence from at most then.
  await advanceBUntil(60, async () => (await readyOf('a-worker')) === 'Unknown');
  const after = ((await clockOfB()) - killedAtMs) / 1000;
  t.equal(await readyOf('a-worker'), 'Unknown', `a-worker Ready Unknown ${after} s after the kill`);
  t.ok(after >= 50 - 10 && after <= 90, 'the grace period after its last Lease renewal (every 10 s), within 90 s of the kill');
  t.equal(await readyOf('kubevirt-emulator-control-plane'), 'True', "b's nodes stay Ready");
  t.equal(await readyOf('kubevirt-emulator-worker'), 'True');
});

t.test('KubeVirt marks a-worker unresponsive, and leaves the VMI alone while the API still shows its launcher pod alive', async (t) => {
  // virt-handler's heartbeat is at most 132 s old when a dies; virt-controller finds it stale after 5 min, rechecking each minute.
  const marked = await advanceBUntil(9 * 60, async () => (await labelsOf('a-worker'))['kubevirt.io/schedulable'] === 'false');
  t.not(marked, undefined, `kubevirt.io/schedulable=false on a-worker after ${marked} s more`);
  const events = await b.api.send(
    'GET',
    '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=a-worker,reason=NodeUnresponsive',
  );
  const messages = ((events.json.items as { message: string }[] | undefined) ?? []).map((e) => e.message);
  t.ok(messages.includes('virt-handler is not responsive, marking node as unresponsive'), messages.join('; '));
  const vmi = await vmiOf(b.api);
  t.equal(vmi?.metadata.uid, first.metadata.uid);
  t.equal(vmi?.status?.phase, 'Running', 'its launcher pod still runs as far as the API knows (no kubelet reports otherwise): not failed');
});

t.test('deleting the dead Node (fencing it) fails the VMI, and the VM starts a new one on the surviving node', async (t) => {
  const deleted = await b.api.send('DELETE', '/api/v1/nodes/a-worker');
  t.equal(deleted.status, 200, 'kubectl delete node a-worker');
  // The pod garbage collector force-deletes the orphaned launcher pod after its 40 s quarantine; virt-controller then
  // fails the VMI, and the VM (runStrategy Always) starts a new one, which b's worker runs.
  const replaced = await advanceBUntil(120, async () => {
    const vmi = await vmiOf(b.api);
    return vmi !== undefined && vmi.metadata.uid !== first.metadata.uid && vmi.status?.phase === 'Running';
  });
  t.not(replaced, undefined, `a new VMI Running ${replaced} s after the Node was deleted`);
  const vmi = await vmiOf(b.api);
  t.equal(vmi?.status?.nodeName, 'kubevirt-emulator-worker', "on b's worker");
  const launchers = await b.api.send('GET', '/api/v1/namespaces/default/pods?labelSelector=kubevirt.io%3Dvirt-launcher');
  const nodes = ((launchers.json.items as { spec: { nodeName?: string } }[] | undefined) ?? []).map((p) => p.spec.nodeName);
  t.same(nodes, ['kubevirt-emulator-worker'], 'the old launcher pod is gone from the API');
  const events = await b.api.send('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.kind=VirtualMachineInstance');
  const reasons = ((events.json.items as { reason: string; involvedObject: { uid: string } }[] | undefined) ?? [])
    .filter((e) => e.involvedObject.uid === first.metadata.uid)
    .map((e) => e.reason);
  t.ok(reasons.includes('NodeUnresponsive'), `virt-controller failed the first VMI as NodeUnresponsive: ${reasons.join(', ')}`);
});
