/**
 * Live migration with the real kubectl (kubevirt-behaviour.md §5, §2.8):
 * `virtctl migrate`'s PUT on virtualmachines/<vm>/migrate and a VMIM applied
 * with `kubectl create -f` both move the VMI to the other worker and Succeed;
 * a migration failure injected into the handler leaves the VMI where it
 * was; `kubectl drain` of a node with a LiveMigrate VM evacuates it and
 * completes.
 */
import t from 'tap';
import { stringify } from 'yaml';
import { handlerFaults } from '../../../src/kubevirt/handler/index.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { installKubeVirt } from '../../helpers/kubevirt.js';

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
  fixture = await withEmulator(t, { workers: 2 });
  await installKubeVirt(fixture);
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
