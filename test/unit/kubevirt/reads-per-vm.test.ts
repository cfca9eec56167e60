// What one more VM costs the controllers must not depend on how many VMs
// there already are: every component reads through its informers, which
// count the cached objects they hand out (list() and byIndex()), so a
// controller that lists every VMI or pod on each change shows up as reads
// that grow with the cluster. Counted, not timed: the machine's load cannot
// make this pass or fail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startEmulator } from '../../../src/emulator.js';
import type { KubeObject } from '../../../src/api/types.js';
import type { VirtualClock } from '../../../src/runtime/clock.js';

const VM_REF = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
const NAMESPACE = 'default';
/** The cluster sizes compared: N and 4N Running VMs. */
const SMALL = 15;
const LARGE = 4 * SMALL;
/** Virtual time given to each step of the probe VM's life, the same at both sizes so periodic work counts alike. */
const STEP_MS = 1000;
const STEPS = 30;

const vm = (name: string, runStrategy = 'Always'): KubeObject => ({
  ...VM_REF,
  metadata: { name, namespace: NAMESPACE },
  spec: {
    runStrategy,
    template: {
      spec: {
        domain: { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] }, resources: { requests: { memory: '128Mi' } } },
        terminationGracePeriodSeconds: 0,
        volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo:v1.9.0' } }],
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
