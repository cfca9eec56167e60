/**
 * The issue's user story with the real kubectl: install KubeVirt (operator +
 * CR, wait Available), apply vm-cirros (Halted), patch it to Always and
 * `kubectl wait --for condition=Ready`; then `kubectl get vm / vmi / vmi -o
 * wide` print the CRDs' printer columns with the running VM's values.
 *
 * Then, on the same KubeVirt, each runStrategy with the real kubectl and a
 * watch on the VM and its VMIs (VMs of their own names, so vm-cirros above does
 * not disturb them): the exact sequence of printableStatus values and of VMI
 * phases (per VMI UID), against kubevirt-behaviour.md §1.2, §1.6, §2.2 and the
 * traces of §11. Guest crashes and power-offs come from the handler's fault
 * API; Manual's start/stop requests are written into
 * status.stateChangeRequests as virt-api writes them (§4.3) until the
 * subresource API lands.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import type { Subscription } from 'rxjs';
import type { KubeObject, WatchEvent } from '../../../src/api/types.js';
import type { KindRef } from '../../../src/client/client.js';
import { workerName } from '../../../src/cluster/nodes/index.js';
import { handlerFaults } from '../../../src/kubevirt/handler/index.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';
import { parseTable } from '../../helpers/kubectl.js';

let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 1, installKubeVirt: true });
});

t.test('vm-cirros: apply (Halted), patch runStrategy Always, kubectl wait condition=Ready', async (t) => {
  const { kubectl } = fixture;
  const apply = await kubectl(['apply', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  t.equal(apply.code, 0, apply.stderr);
  t.equal(apply.stdout.trim(), 'virtualmachine.kubevirt.io/vm-cirros created');
  const stopped = await kubectl(['wait', 'vm/vm-cirros', '--for=jsonpath={.status.printableStatus}=Stopped', '--timeout=10s']);
  t.equal(stopped.code, 0, stopped.stderr);
  t.equal((await kubectl(['get', 'vmi', 'vm-cirros', '--ignore-not-found', '-o', 'name'])).stdout, '', 'a Halted VM has no VMI');

  const patchedAt = fixture.emulator.clock.now().toISOString();
  const patch = await kubectl(['patch', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Always"}}']);
  t.equal(patch.code, 0, patch.stderr);
  t.equal(patch.stdout.trim(), 'virtualmachine.kubevirt.io/vm-cirros patched');
  const ready = await kubectl(['wait', 'vm/vm-cirros', '--for', 'condition=Ready', '--timeout=30s']);
  t.equal(ready.code, 0, ready.stderr);
  t.equal(ready.stdout.trim(), 'virtualmachine.kubevirt.io/vm-cirros condition met');
  // A condition already met: kubectl lists, sees it, and cancels its watch, which client-go can only do once the
  // watch's headers arrived; a server holding them until the first keep-alive (10 s) would time this out.
  const again = await kubectl(['wait', 'vm/vm-cirros', '--for', 'condition=Ready', '--timeout=5s']);
  t.equal(again.code, 0, again.stderr);
  // How fast Ready follows the patch is a figure for bench/ (wall time on a shared machine), not an assertion here.
  const readySince = (
    await kubectl(['get', 'vm', 'vm-cirros', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].lastTransitionTime}'])
  ).stdout;
  // lastTransitionTime has whole seconds.
  t.ok(Date.parse(readySince) >= Date.parse(patchedAt) - 999, `Ready=True at ${readySince}, after the patch at ${patchedAt}`);
});

t.test('kubectl get vm / vmi / vmi -o wide print the printer columns with the running VM', async (t) => {
  const { kubectl } = fixture;
  const vm = parseTable((await kubectl(['get', 'vm'])).stdout);
  t.same(vm.header, ['NAME', 'AGE', 'STATUS', 'READY']);
  t.same(
    vm.rows.map(([name, , status, ready]) => [name, status, ready]),
    [['vm-cirros', 'Running', 'True']],
  );
  t.match(vm.rows[0]?.[1], /^\d+s$/);

  const ip = (await kubectl(['get', 'pod', '-l', 'vm.kubevirt.io/name=vm-cirros', '-o', 'jsonpath={.items[0].status.podIP}'])).stdout;
  t.match(ip, /^10\.244\.\d+\.\d+$/, 'the launcher pod has an IP');
  const vmi = parseTable((await kubectl(['get', 'vmi'])).stdout);
  t.same(vmi.header, ['NAME', 'AGE', 'PHASE', 'IP', 'NODENAME', 'READY']);
  t.same(
    vmi.rows.map(([name, , ...rest]) => [name, ...rest]),
    [['vm-cirros', 'Running', ip, workerName(1), 'True']],
  );

  const wide = parseTable((await kubectl(['get', 'vmi', '-o', 'wide'])).stdout);
  t.same(wide.header, ['NAME', 'AGE', 'PHASE', 'IP', 'NODENAME', 'READY', 'LIVE-MIGRATABLE', 'PAUSED']);
  // The default bridge binding to the pod network is not live-migratable; PAUSED is empty without a Paused condition.
  t.same(
    wide.rows.map(([name, , ...rest]) => [name, ...rest]),
    [['vm-cirros', 'Running', ip, workerName(1), 'True', 'False', '']],
  );

  const pods = await kubectl(['get', 'pods', '-l', 'kubevirt.io=virt-launcher', '-o', 'jsonpath={.items[*].metadata.name}']);
  t.match(pods.stdout, /^virt-launcher-vm-cirros-[a-z0-9]{5}$/);
  const events = await kubectl([
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=vm-cirros',
    '-o',
    'jsonpath={range .items[*]}{.involvedObject.kind}/{.reason}{"\\n"}{end}',
  ]);
  for (const expected of [
    'VirtualMachine/SuccessfulCreate',
    'VirtualMachineInstance/SuccessfulCreate',
    'VirtualMachineInstance/Created',
    'VirtualMachineInstance/Started',
  ]) {
    t.match(events.stdout, expected);
  }
});

const VM: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
const VMI: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' };
const cirros = readFileSync(kubevirtSchema('examples/vm-cirros.yaml'), 'utf8');

interface VmLike extends KubeObject {
  status?: { printableStatus?: string; stateChangeRequests?: unknown[] };
}

/** What a watch on one VM and its VMIs has seen: printable statuses and each VMI's phases, consecutive repeats dropped. */
class Recording {
  readonly statuses: string[] = [];
  /** Phases per VMI, in creation order; a deleted VMI ends with `deleted`. */
  readonly vmis = new Map<string, string[]>();
  private readonly subscriptions: Subscription[];
  private readonly changed = new Set<() => void>();

  constructor(
    fixture: EmulatorFixture,
    readonly name: string,
  ) {
    const fieldSelector = `metadata.name=${name}`;
    const client = fixture.emulator.client;
    this.subscriptions = [
      client.watch<VmLike>(VM, { namespace: 'default', fieldSelector }).subscribe((e) => this.onVm(e)),
      client.watch<KubeObject & { status?: { phase?: string } }>(VMI, { namespace: 'default', fieldSelector }).subscribe((e) => {
        const uid = e.object.metadata.uid ?? '';
        const phases = this.vmis.get(uid) ?? [];
        this.vmis.set(uid, phases);
        push(phases, e.type === 'DELETED' ? 'deleted' : (e.object.status?.phase ?? ''));
        this.notify();
      }),
    ];
  }

  private onVm(e: WatchEvent<VmLike>): void {
    if (e.type !== 'DELETED' && e.object.status?.printableStatus) push(this.statuses, e.object.status.printableStatus);
    this.notify();
  }

  private notify(): void {
    for (const wake of this.changed) wake();
  }

  phases(): string[][] {
    return [...this.vmis.values()];
  }

  /** Resolves once `done` holds for what was recorded; fails after `ms` of wall time. */
  async until(what: string, done: (r: Recording) => boolean, ms = 10_000): Promise<void> {
    if (done(this)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.changed.delete(check);
        reject(
          new Error(
            `${this.name}: timed out waiting for ${what}; statuses ${JSON.stringify(this.statuses)}, VMIs ${JSON.stringify(this.phases())}`,
          ),
        );
      }, ms);
      const check = () => {
        if (!done(this)) return;
        clearTimeout(timer);
        this.changed.delete(check);
        resolve();
      };
      this.changed.add(check);
    });
  }

  /** Waits a little wall time for anything that would still happen, then stops watching. */
  async settle(ms = 300): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    for (const s of this.subscriptions) s.unsubscribe();
  }
}

function push(list: string[], value: string): void {
  if (list.at(-1) !== value) list.push(value);
}

const lastStatus = (status: string) => (r: Recording) => r.statuses.at(-1) === status;

/** One VMI's life from creation to deletion, as virt-controller and virt-handler drive it (§2.2). */
const RUN = ['Scheduling', 'Scheduled', 'Running'];

/**
 * A VMI's phases after its creation. virt-api's mutating webhook makes a new
 * VMI Pending (§2.1); without it the VMI starts with no phase: either is the
 * start of the same life.
 */
function afterCreation(t: Test, phases: string[]): string[] {
  t.ok(phases[0] === '' || phases[0] === 'Pending', `a new VMI starts Pending or without a phase, got ${JSON.stringify(phases[0])}`);
  return phases.slice(1);
}

/** Applies vm-cirros under another name and run strategy, with a watch already running. */
async function applyVm(t: Test, name: string, runStrategy: string): Promise<Recording> {
  const recording = new Recording(fixture, name);
  const manifest = cirros.replace('name: vm-cirros', `name: ${name}`).replace('runStrategy: Halted', `runStrategy: ${runStrategy}`);
  const applied = await fixture.kubectl(['apply', '-f', '-'], { input: manifest });
  t.equal(applied.code, 0, applied.stderr);
  return recording;
}

async function patchStrategy(t: Test, name: string, runStrategy: string): Promise<void> {
  const patched = await fixture.kubectl(['patch', 'vm', name, '--type', 'merge', '-p', JSON.stringify({ spec: { runStrategy } })]);
  t.equal(patched.code, 0, patched.stderr);
}

t.test('Always: starts at once and restarts after a guest crash and after a guest power-off', async (t) => {
  const r = await applyVm(t, 'always', 'Always');
  await r.until('Running', lastStatus('Running'));
  await handlerFaults(fixture.emulator.clock).crashGuest('default', 'always');
  await r.until('a second VMI Running', (r) => r.phases().length === 2 && r.statuses.at(-1) === 'Running');
  await handlerFaults(fixture.emulator.clock).powerOffGuest('default', 'always');
  await r.until('a third VMI Running', (r) => r.phases().length === 3 && r.statuses.at(-1) === 'Running');
  await r.settle();
  // §1.6: a final VMI reads Stopped (#15) until the controller has replaced it, then Starting (#13).
  t.same(r.statuses, ['Starting', 'Running', 'Stopped', 'Starting', 'Running', 'Stopped', 'Starting', 'Running']);
  const [crashed, poweredOff, third] = r.phases();
  t.same(afterCreation(t, crashed!), [...RUN, 'Failed', 'deleted'], 'crash: Failed, deleted and replaced (§1.2 Always)');
  t.same(afterCreation(t, poweredOff!), [...RUN, 'Succeeded', 'deleted'], 'power-off: Succeeded, deleted and replaced (§11.3)');
  t.same(afterCreation(t, third!), RUN);
});

t.test('Halted: patching a running VM to Halted deletes its VMI', async (t) => {
  const r = await applyVm(t, 'halted', 'Always');
  await r.until('Running', lastStatus('Running'));
  await patchStrategy(t, 'halted', 'Halted');
  await r.until('Stopped with the VMI gone', (r) => r.statuses.at(-1) === 'Stopped' && r.phases()[0]?.at(-1) === 'deleted');
  await r.settle();
  // §11.2: the VMI is deleted, shuts down gracefully (Succeeded), then goes; the VM reads Stopping (#2) meanwhile.
  t.same(r.statuses, ['Starting', 'Running', 'Stopping', 'Stopped']);
  t.same(
    r.phases().map((phases) => afterCreation(t, phases)),
    [[...RUN, 'Succeeded', 'deleted']],
  );
  t.equal((await fixture.kubectl(['get', 'vmi', 'halted', '--ignore-not-found', '-o', 'name'])).stdout, '', 'no VMI is left');
});

t.test('RerunOnFailure: restarts after a guest crash, not after a guest power-off', async (t) => {
  const r = await applyVm(t, 'rerun', 'RerunOnFailure');
  await r.until('Running', lastStatus('Running'));
  await handlerFaults(fixture.emulator.clock).crashGuest('default', 'rerun');
  await r.until('a second VMI Running', (r) => r.phases().length === 2 && r.statuses.at(-1) === 'Running');
  await handlerFaults(fixture.emulator.clock).powerOffGuest('default', 'rerun');
  await r.until('Stopped with the VMI gone', (r) => r.statuses.at(-1) === 'Stopped' && r.phases()[1]?.at(-1) === 'deleted');
  await r.settle();
  // §1.2 RerunOnFailure: Failed → delete and a Start request → restart; Succeeded → delete, no restart.
  t.same(r.statuses, ['Starting', 'Running', 'Stopped', 'Starting', 'Running', 'Stopped']);
  t.same(
    r.phases().map((phases) => afterCreation(t, phases)),
    [
      [...RUN, 'Failed', 'deleted'],
      [...RUN, 'Succeeded', 'deleted'],
    ],
  );
});

t.test('Once: runs once and is never restarted, the final VMI stays', async (t) => {
  const r = await applyVm(t, 'once', 'Once');
  await r.until('Running', lastStatus('Running'));
  await handlerFaults(fixture.emulator.clock).crashGuest('default', 'once');
  await r.until('Stopped', lastStatus('Stopped'));
  await r.settle();
  // §1.2 Once: a final VMI stays and is never replaced; §1.6 #15 reads Stopped.
  t.same(r.statuses, ['Starting', 'Running', 'Stopped']);
  t.same(
    r.phases().map((phases) => afterCreation(t, phases)),
    [[...RUN, 'Failed']],
  );
  const phase = await fixture.kubectl(['get', 'vmi', 'once', '-o', 'jsonpath={.status.phase}']);
  t.equal(phase.stdout, 'Failed', 'the final VMI stays');
});

t.test('Manual: starts and stops only on requests', async (t) => {
  const client = fixture.emulator.client;
  const r = await applyVm(t, 'manual', 'Manual');
  await r.until('Stopped', lastStatus('Stopped'));
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(r.phases(), [], 'no VMI without a Start request');
  await client.patch(VM, 'default', 'manual', 'json', [{ op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Start' }] }], {
    subresource: 'status',
  });
  await r.until('Running', lastStatus('Running'));
  const vmi = await client.get(VMI, 'default', 'manual');
  await client.patch(
    VM,
    'default',
    'manual',
    'json',
    [{ op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Stop', uid: vmi.metadata.uid }] }],
    { subresource: 'status' },
  );
  await r.until('Stopped with the VMI gone', (r) => r.statuses.at(-1) === 'Stopped' && r.phases()[0]?.at(-1) === 'deleted');
  await r.settle();
  // §1.2 Manual: nothing without a request; Start creates the VMI, Stop{uid} deletes it.
  t.same(r.statuses, ['Stopped', 'Starting', 'Running', 'Stopping', 'Stopped']);
  t.same(
    r.phases().map((phases) => afterCreation(t, phases)),
    [[...RUN, 'Succeeded', 'deleted']],
  );
  const requests = await fixture.kubectl(['get', 'vm', 'manual', '-o', 'jsonpath={.status.stateChangeRequests}']);
  t.equal(requests.stdout, '', 'the controller trimmed the handled requests (§1.3)');
});

/** A Fault that makes the API server refuse `verb` on `resource` in the namespace `failing`, with a 403. */
const refuse = (name: string, resource: string) => `apiVersion: emulator.kubevirt.io/v1alpha1
kind: Fault
metadata: { name: ${name}, namespace: default }
spec:
  type: api-error
  target: { resource: ${resource}, verb: create, namespace: failing }
  code: 403
`;

// KubeVirt's Warning events when the API refuses what its controllers create: virt-controller's VMI controller
// (pkg/virt-controller/watch/vmi/lifecycle.go) records FailedCreate "Error creating pod: <err>" and the VMI gets
// Synchronized=False, reason FailedCreate, "failed to create virtual machine pod: <err>"; the VM controller
// (watch/vm/vm.go startVMI) records FailedCreate "Error creating virtual machine instance: <err>" with a Failure
// condition. Both retry, so once the API accepts again the VMI runs.
t.test('Warning FailedCreate events when the API refuses a launcher pod or a VMI, and the retry once it accepts', async (t) => {
  const { kubectl } = fixture;
  const ok = async (args: string[], input?: string) => {
    const result = await kubectl(args, { input, timeoutMs: 60_000 });
    t.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const eventsOf = (kind: string, name: string) =>
    ok([
      'get',
      'events',
      '-n',
      'failing',
      '--field-selector',
      `involvedObject.kind=${kind},involvedObject.name=${name},reason=FailedCreate`,
      '-o',
      'jsonpath={range .items[*]}{.type} {.source.component}: {.message}{"\\n"}{end}',
    ]);
  const until = async (what: string, probe: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await probe()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    t.ok(await probe(), what);
  };
  await ok(['create', 'namespace', 'failing']);

  await ok(['apply', '-f', '-'], refuse('no-launchers', 'pods'));
  await ok(['wait', 'fault/no-launchers', '--for', 'jsonpath={.status.phase}=Active', '--timeout=10s']);
  await ok(['apply', '-n', 'failing', '-f', kubevirtSchema('examples/vmi-ephemeral.yaml')]);
  await until('the VMI records FailedCreate', async () => (await eventsOf('VirtualMachineInstance', 'vmi-ephemeral')) !== '');
  t.match(
    await eventsOf('VirtualMachineInstance', 'vmi-ephemeral'),
    /^Warning virtualmachine-controller: Error creating pod: injected by fault default\/no-launchers\n/,
  );
  const synchronized = await ok([
    'get',
    'vmi',
    '-n',
    'failing',
    'vmi-ephemeral',
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Synchronized")].status} {.status.conditions[?(@.type=="Synchronized")].reason}: ' +
      '{.status.conditions[?(@.type=="Synchronized")].message}',
  ]);
  t.equal(synchronized, 'False FailedCreate: failed to create virtual machine pod: injected by fault default/no-launchers');
  await ok(['delete', 'fault', 'no-launchers']);
  await ok(['wait', '-n', 'failing', 'vmi/vmi-ephemeral', '--for=jsonpath={.status.phase}=Running', '--timeout=60s']);

  await ok(['apply', '-f', '-'], refuse('no-vmis', 'virtualmachineinstances'));
  await ok(['wait', 'fault/no-vmis', '--for', 'jsonpath={.status.phase}=Active', '--timeout=10s']);
  await ok(['apply', '-n', 'failing', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  await ok(['patch', '-n', 'failing', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Always"}}']);
  await until('the VM records FailedCreate', async () => (await eventsOf('VirtualMachine', 'vm-cirros')) !== '');
  t.match(
    await eventsOf('VirtualMachine', 'vm-cirros'),
    /^Warning virtualmachine-controller: Error creating virtual machine instance: injected by fault default\/no-vmis\n/,
  );
  const failure = await ok([
    'get',
    'vm',
    '-n',
    'failing',
    'vm-cirros',
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Failure")].reason}: {.status.conditions[?(@.type=="Failure")].message}',
  ]);
  t.match(failure, /^FailedCreate: Failure while starting VMI: .*injected by fault default\/no-vmis/);
  await ok(['delete', 'fault', 'no-vmis']);
  await ok(['wait', '-n', 'failing', 'vm/vm-cirros', '--for=condition=Ready', '--timeout=60s']);
  t.equal(await ok(['get', 'vm', '-n', 'failing', 'vm-cirros', '-o', 'jsonpath={.status.conditions[?(@.type=="Failure")]}']), '');
});
