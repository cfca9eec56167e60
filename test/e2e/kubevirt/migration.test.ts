/**
 * Live migration with the real kubectl (kubevirt-behaviour.md §5, §2.8):
 * `virtctl migrate`'s PUT on virtualmachines/<vm>/migrate and a VMIM applied
 * with `kubectl create -f` both move the VMI to the other worker and Succeed;
 * a migration failure injected into the handler leaves the VMI where it
 * was; a watch sees every phase; `virtctl migrate-cancel` (a DELETE of the
 * running VMIM) aborts the move; `kubectl drain` of a node with a LiveMigrate VM evacuates it and
 * completes.
 */
import t from 'tap';
import { stringify } from 'yaml';
import { handlerFaults } from '../../../src/kubevirt/handler/index.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { rawClient } from '../../helpers/raw-https.js';

/** A cirros VM on the pod network with masquerade (migratable) and evictionStrategy LiveMigrate. */
const vm = (name: string): string =>
  stringify({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name },
    spec: {
      runStrategy: 'Always',
      template: {
        spec: {
          evictionStrategy: 'LiveMigrate',
          domain: {
            devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] },
            resources: { requests: { memory: '128Mi' } },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }],
        },
      },
    },
  });

let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 2, installKubeVirt: true });
});

async function ok(args: string[], input?: string): Promise<string> {
  const result = await fixture.kubectl(args, { input, timeoutMs: 90_000 });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

const nodeOf = (name: string): Promise<string> => ok(['get', 'vmi', name, '-o', 'jsonpath={.status.nodeName}']);

async function readyVm(name: string): Promise<string> {
  await ok(['apply', '-f', '-'], vm(name));
  await ok(['wait', `vm/${name}`, '--for', 'condition=Ready', '--timeout=60s']);
  await ok(['wait', `vmi/${name}`, '--for', 'condition=LiveMigratable', '--timeout=60s']);
  return nodeOf(name);
}

async function waitForNodeChange(name: string, from: string): Promise<string> {
  await ok(['wait', `vmi/${name}`, `--for=jsonpath={.status.migrationState.completed}=true`, '--timeout=60s']);
  for (let i = 0; i < 100; i++) {
    const node = await nodeOf(name);
    if (node !== from) return node;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`VMI ${name} stayed on ${from}`);
}

t.test('virtualmachines/migrate (PUT, as virtctl migrate) and a VMIM from a file', async (t) => {
  const source = await readyVm('mig-vm');
  await ok(
    ['replace', '--raw', '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/mig-vm/migrate', '-f', '-'],
    JSON.stringify({ apiVersion: 'subresources.kubevirt.io/v1', kind: 'MigrateOptions' }),
  );
  await ok(['wait', 'vmim', '-l', 'kubevirt.io/vmi-name=mig-vm', '--for=jsonpath={.status.phase}=Succeeded', '--timeout=60s']);
  const target = await waitForNodeChange('mig-vm', source);
  t.not(target, source, `moved from ${source} to ${target}`);
  t.equal(await ok(['get', 'vmi', 'mig-vm', '-o', 'jsonpath={.status.phase}']), 'Running');
  const listing = await ok(['get', 'vmim']);
  t.match(listing, /^NAME\s+PHASE\s+VMI\n/, 'the CRD columns');
  t.match(listing, /kubevirt-migrate-vm-\w{5}\s+Succeeded\s+mig-vm/);

  const vmim = stringify({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { name: 'mig-back' },
    spec: { vmiName: 'mig-vm' },
  });
  await ok(['create', '-f', '-'], vmim);
  await ok(['wait', 'vmim/mig-back', '--for=jsonpath={.status.phase}=Succeeded', '--timeout=60s']);
  t.equal(await waitForNodeChange('mig-vm', target), source, 'back on the first worker');
});

t.test('an injected migration failure: the VMIM fails, the VMI stays', async (t) => {
  const source = await nodeOf('mig-vm');
  await handlerFaults(fixture.emulator.clock).failNextMigration('default', 'mig-vm');
  await ok(
    ['create', '-f', '-'],
    stringify({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { name: 'mig-fail' },
      spec: { vmiName: 'mig-vm' },
    }),
  );
  await ok(['wait', 'vmim/mig-fail', '--for=jsonpath={.status.phase}=Failed', '--timeout=60s']);
  t.equal(await ok(['get', 'vmi', 'mig-vm', '-o', 'jsonpath={.status.migrationState.failed}']), 'true');
  t.equal(await nodeOf('mig-vm'), source);
  const events = await ok([
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=mig-fail',
    '-o',
    'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
  ]);
  t.match(events, /FailedMigration/);
});

const vmim = (name: string): string =>
  stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name }, spec: { vmiName: 'mig-vm' } });

/** Every phase a watch from `resourceVersion` on saw the VMIM go through (a 1 s watch: the events since then are replayed at once). */
async function watchedPhases(name: string, resourceVersion: string): Promise<string[]> {
  const raw = rawClient(fixture.emulator.url, fixture.kubeconfigPath);
  const path =
    '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancemigrations' +
    `?watch=1&fieldSelector=metadata.name%3D${name}&resourceVersion=${resourceVersion}&timeoutSeconds=1`;
  const answer = await raw.send('GET', path);
  const phases: string[] = [];
  for (const line of answer.text.split('\n').filter(Boolean)) {
    const phase = JSON.parse(line).object?.status?.phase;
    if (phase && phase !== phases.at(-1)) phases.push(phase);
  }
  return phases;
}

// migration.go processMigrationPhase moves one phase per sync and writes each with its own status update, so a watch
// (or KubeVirt's functional tests waiting for a phase) sees every one of them, on the instant profile too.
t.test('a watch sees each migration phase as its own update', async (t) => {
  const resourceVersion = await ok(['create', '-f', '-', '-o', 'jsonpath={.metadata.resourceVersion}'], vmim('mig-phases'));
  await ok(['wait', 'vmim/mig-phases', '--for=jsonpath={.status.phase}=Succeeded', '--timeout=60s']);
  t.same(await watchedPhases('mig-phases', resourceVersion), [
    'Pending',
    'Scheduling',
    'Scheduled',
    'PreparingTarget',
    'TargetReady',
    'Running',
    'Succeeded',
  ]);
  const stamps = await ok(['get', 'vmim', 'mig-phases', '-o', 'jsonpath={.status.phaseTransitionTimestamps[*].phase}']);
  t.equal(stamps, 'Pending Scheduling Scheduled PreparingTarget TargetReady Running Succeeded');
});

// virtctl migrate-cancel (pkg/virtctl/vm/migrate_cancel.go) deletes the unfinished VMIM labelled kubevirt.io/vmi-name.
// virt-controller (migration.go) adds migrationAbortRequested and, while Running, sets migrationState.abortRequested;
// virt-handler (migration-source.go handleMigrationAbort) cancels the transfer, and the launcher reports it failed with
// abortStatus Succeeded ("Live migration has been aborted"). The VMIM ends Failed, loses its finalizer and goes;
// tests/libmigration ConfirmVMIPostMigrationAborted checks the VMI's migrationState as below.
t.test('virtctl migrate-cancel of a Running migration aborts it; the VMI stays', async (t) => {
  const source = await nodeOf('mig-vm');
  await handlerFaults(fixture.emulator.clock).stallNextMigration('default', 'mig-vm');
  const resourceVersion = await ok(['create', '-f', '-', '-o', 'jsonpath={.metadata.resourceVersion}'], vmim('mig-cancel'));
  await ok(['wait', 'vmim/mig-cancel', '--for=jsonpath={.status.phase}=Running', '--timeout=60s']);
  const uid = await ok(['get', 'vmim', 'mig-cancel', '-o', 'jsonpath={.metadata.uid}']);

  const active = JSON.parse(await ok(['get', 'vmim', '-l', 'kubevirt.io/vmi-name==mig-vm', '-o', 'json'])).items.filter(
    (m: { status?: { phase?: string } }) => !['Succeeded', 'Failed'].includes(m.status?.phase ?? ''),
  );
  t.same(
    active.map((m: { metadata: { name: string } }) => m.metadata.name),
    ['mig-cancel'],
    'the one unfinished migration',
  );
  await ok(['delete', 'vmim', 'mig-cancel', '--wait=true', '--timeout=60s']);
  t.equal((await fixture.kubectl(['get', 'vmim', 'mig-cancel'])).code, 1, 'the VMIM is gone once the abort is final');

  const vmi = JSON.parse(await ok(['get', 'vmi', 'mig-vm', '-o', 'json']));
  const state = vmi.status.migrationState;
  t.equal(vmi.status.phase, 'Running');
  t.equal(vmi.status.nodeName, source, 'still on its source node');
  t.match(state, {
    migrationUid: uid,
    sourceNode: source,
    completed: true,
    failed: true,
    abortRequested: true,
    abortStatus: 'Succeeded',
    failureReason: 'Live migration has been aborted',
  });
  t.ok(state.startTimestamp && state.endTimestamp && state.targetNodeAddress, 'started, ended, target address');
  t.not(state.targetNode, source);

  const phases = await watchedPhases('mig-cancel', resourceVersion);
  t.same(phases.slice(-2), ['Running', 'Failed'], 'a watch saw it end Failed');
  const events = await ok([
    'get',
    'events',
    '--field-selector',
    'involvedObject.kind=VirtualMachineInstanceMigration,involvedObject.name=mig-cancel',
    '-o',
    'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}',
  ]);
  t.match(events, /SuccessfulAbortMigration: Migration is ready to be canceled by virt-handler\./);
  t.match(events, /FailedMigration: source node reported migration failed/);
  const vmiEvents = await ok([
    'get',
    'events',
    '--field-selector',
    'involvedObject.kind=VirtualMachineInstance,involvedObject.name=mig-vm,reason=Migrating',
    '-o',
    'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
  ]);
  t.match(vmiEvents, /VirtualMachineInstance is aborting migration\./);

  await ok(['create', '-f', '-'], vmim('mig-after-cancel'));
  await ok(['wait', 'vmim/mig-after-cancel', '--for=jsonpath={.status.phase}=Succeeded', '--timeout=60s']);
  t.not(await waitForNodeChange('mig-vm', source), source, 'a later migration is accepted and moves the VMI');
});

t.test('kubectl drain evacuates a LiveMigrate VM and completes', async (t) => {
  const source = await nodeOf('mig-vm');
  const drain = await fixture.kubectl(['drain', source, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s'], {
    timeoutMs: 100_000,
  });
  if (drain.code !== 0) t.comment(drain.stderr);
  t.equal(drain.code, 0, 'drain completes');
  t.match(
    drain.stdout + drain.stderr,
    /Eviction triggered evacuation of VMI "default\/mig-vm"/,
    'the first eviction was refused by virt-api',
  );
  t.match(drain.stdout, new RegExp(`node/${source} drained`));
  t.not(await nodeOf('mig-vm'), source);
  t.equal(await ok(['get', 'vmi', 'mig-vm', '-o', 'jsonpath={.status.evacuationNodeName}']), '');
  t.match(await ok(['get', 'vmim', '-o', 'name']), /kubevirt-evacuation-/);
  await ok(['uncordon', source]);
});
