// What one more VM costs the controllers must not depend on how many VMs
// there already are: every component reads through its informers, which
// count the cached objects they hand out (list() and byIndex()), so a
// controller that lists every VMI or pod on each change shows up as reads
// that grow with the cluster. Counted, not timed: the machine's load cannot
// make this pass or fail. The same cluster shows that a Running VM and its VMI
// are not rewritten while nothing happens to them (no two writers undoing each
// other's status, e.g. over a condition timestamp one spells null), and, on the
// virtual clock, the VM statuses of an image pull that keeps failing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startEmulator } from '../../../src/emulator.js';
import type { KubeObject, WatchEvent } from '../../../src/api/types.js';
import type { VirtualClock } from '../../../src/runtime/clock.js';

const VM_REF = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
const NAMESPACE = 'default';
/** The cluster sizes compared: N and 4N Running VMs. */
const SMALL = 15;
const LARGE = 4 * SMALL;
/** Virtual time given to each step of the probe VM's life, the same at both sizes so periodic work counts alike. */
const STEP_MS = 1000;
const STEPS = 30;

const VMI_REF = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' };

const vm = (name: string, runStrategy = 'Always', image = 'quay.io/kubevirt/cirros-container-disk-demo:v1.9.0'): KubeObject => ({
  ...VM_REF,
  metadata: { name, namespace: NAMESPACE },
  spec: {
    runStrategy,
    template: {
      spec: {
        domain: { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] }, resources: { requests: { memory: '128Mi' } } },
        terminationGracePeriodSeconds: 0,
        volumes: [{ name: 'containerdisk', containerDisk: { image } }],
      },
    },
  },
});

const dir = await mkdtemp(join(tmpdir(), 'reads-per-vm-'));
const emulator = await startEmulator({
  port: 0,
  insecureHttp: true,
  kubeconfigPath: join(dir, 'kubeconfig'),
  dataDir: join(dir, 'data'),
  workers: 2,
  clock: 'virtual',
  installKubeVirt: true,
});
t.teardown(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});
const { client } = emulator;
const clock = emulator.clock as VirtualClock;

const printableStatus = async (name: string): Promise<string | undefined> =>
  ((await client.get(VM_REF, NAMESPACE, name).catch(() => undefined))?.status as { printableStatus?: string } | undefined)?.printableStatus;

async function runningCount(): Promise<number> {
  const { items } = await client.list(VM_REF, { namespace: NAMESPACE });
  return items.filter((item) => (item.status as { printableStatus?: string } | undefined)?.printableStatus === 'Running').length;
}

async function advance(steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    await clock.advance(STEP_MS);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Grows the cluster to `count` Running VMs. */
async function growTo(t: Test, count: number, from: number): Promise<void> {
  for (let i = from; i < count; i++) await client.create(vm(`load-${i}`));
  for (let step = 0; step < 600 && (await runningCount()) < count; step++) await advance(1);
  t.equal(await runningCount(), count, `${count} VMs Running`);
  // Running is printed before the last status writes of a start (the VMI's Ready, the VM's ready): they belong to
  // the growth, not to the probe VM measured next.
  await advance(STEPS);
}

/** The reads one VM's start and stop cost the components, in the same stretch of virtual time at every size. */
async function readsOfOneVm(t: Test, name: string): Promise<number> {
  const before = emulator.componentReads();
  await client.create(vm(name));
  await advance(STEPS);
  t.equal(await printableStatus(name), 'Running', `${name} started`);
  await client.patch(VM_REF, NAMESPACE, name, 'merge', { spec: { runStrategy: 'Halted' } });
  await advance(STEPS);
  t.equal(await printableStatus(name), 'Stopped', `${name} stopped`);
  await client.delete(VM_REF, NAMESPACE, name);
  await advance(STEPS);
  return emulator.componentReads() - before;
}

t.test('starting and stopping one VM reads as much beside 4N VMs as beside N', async (t) => {
  await growTo(t, SMALL, 0);
  const small = await readsOfOneVm(t, 'probe-small');
  await growTo(t, LARGE, SMALL);
  const large = await readsOfOneVm(t, 'probe-large');
  t.comment(`reads for one VM: ${small} beside ${SMALL} VMs, ${large} beside ${LARGE}`);
  t.ok(small > 0, 'the reads are counted');
  // A controller that lists every VMI (or launcher pod) per change would read about 4× as much at 4N; so would one that
  // resyncs on every node heartbeat (the DaemonSet controller and virt-operator did, until issue 19).
  t.ok(large <= small * 1.25 + 20, `reads beside ${LARGE} VMs (${large}) within 1.25× of those beside ${SMALL} (${small})`);
});

interface Condition {
  type: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}
const conditionsOf = (object: KubeObject): Condition[] => (object.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
const times = (conditions: Condition[], type: string) => {
  const found = conditions.find((c) => c.type === type);
  return (
    found && [
      found.lastProbeTime === null ? null : typeof found.lastProbeTime,
      found.lastTransitionTime === null ? null : typeof found.lastTransitionTime,
    ]
  );
};

// Real VMI and VM conditions (kubevirt-behaviour.md §2.3, the captures of §11): Ready copies the pod's (no probe
// time), virt-handler sets LiveMigratable without times and AgentConnected with its probe time only
// (pkg/virt-handler/vm.go); the VM controller mirrors them. Then ten virtual minutes of a Running VM with a
// connected guest agent: every component resyncs it (informer resyncs, node heartbeats, the handler's agent polling),
// and none of them writes, since nothing changed.
t.test('a Running VM and VMI: conditions with the nulls of real captures, and no writes while nothing changes', async (t) => {
  await client.create(vm('quiet', 'Always', 'quay.io/containerdisks/fedora:41'));
  for (let step = 0; step < 60 && (await printableStatus('quiet')) !== 'Running'; step++) await advance(1);
  await advance(5);
  const vmi = await client.get(VMI_REF, NAMESPACE, 'quiet');
  const current = await client.get(VM_REF, NAMESPACE, 'quiet');
  for (const [kind, conditions] of [
    ['VMI', conditionsOf(vmi)],
    ['VM', conditionsOf(current)],
  ] as const) {
    t.same(times(conditions, 'Ready'), [null, 'string'], `${kind} Ready: lastProbeTime null`);
    t.same(times(conditions, 'LiveMigratable'), [null, null], `${kind} LiveMigratable: both times null`);
    t.same(times(conditions, 'AgentConnected'), ['string', null], `${kind} AgentConnected: lastTransitionTime null`);
  }
  const writes: string[] = [];
  const subscriptions = [VM_REF, VMI_REF].map((ref) =>
    client
      .watch(ref, {
        namespace: NAMESPACE,
        resourceVersion: ref === VM_REF ? current.metadata.resourceVersion : vmi.metadata.resourceVersion,
      })
      .subscribe((event: WatchEvent) => {
        if (event.object.metadata?.name === 'quiet')
          writes.push(`${event.type} ${event.object.kind} ${event.object.metadata.resourceVersion}`);
      }),
  );
  await advance(600);
  for (const subscription of subscriptions) subscription.unsubscribe();
  t.same(writes, [], 'neither the VM nor the VMI is written in ten virtual minutes');
  t.equal(await printableStatus('quiet'), 'Running');
});

// The kubelet's failed pull (ErrImagePull) turns into ImagePullBackOff as soon as its pod worker syncs again, and the
// pull is retried once the 10 s back-off has passed (kubelet v1.32 image_manager.go); virt-controller mirrors each
// onto the VM's printableStatus (pkg/virt-controller/watch/vm.go setPrintableStatus). On the virtual clock every step
// is seen, however short.
t.test('a containerDisk that cannot be pulled: the VM shows ErrImagePull and ImagePullBackOff in turn', async (t) => {
  const statuses: string[] = [];
  const subscription = client.watch(VM_REF, { namespace: NAMESPACE }).subscribe((event: WatchEvent) => {
    const printable = (event.object.status as { printableStatus?: string } | undefined)?.printableStatus;
    if (event.object.metadata?.name === 'no-pull' && printable && statuses[statuses.length - 1] !== printable) statuses.push(printable);
  });
  await client.create(vm('no-pull', 'Always', 'registry.invalid/kubevirt/cirros-container-disk-demo:v1.9.0'));
  await advance(15);
  subscription.unsubscribe();
  t.same(
    statuses.filter((s) => s === 'ErrImagePull' || s === 'ImagePullBackOff'),
    ['ErrImagePull', 'ImagePullBackOff', 'ErrImagePull', 'ImagePullBackOff'],
    `the printable statuses: ${statuses.join(', ')}`,
  );
  t.equal(((await client.get(VMI_REF, NAMESPACE, 'no-pull')).status as { phase?: string }).phase, 'Scheduling');
  await client.delete(VM_REF, NAMESPACE, 'no-pull');
});
