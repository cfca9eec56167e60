/**
 * Acceptance 3 (second half) and dry-run admission with the real kubectl:
 * every file of schemas/kubevirt/examples/ goes through
 * `kubectl apply --dry-run=server -o json`, so virt-api's webhooks run and
 * nothing is stored. Each example is admitted, or rejected with virt-api's
 * message where the examples table (vm-lifecycle-examples.test.ts) expects a
 * rejection; the admitted VMs and VMIs carry the defaults of
 * kubevirt-behaviour.md §3.1 (VMI) and §3.2 (VM), checked field by field.
 * Then, on the same KubeVirt: virt-api's webhooks default and reject as on a
 * cluster, a second KubeVirt CR is refused, and with virt-api scaled to zero
 * the apiserver reports the refused connection and the aggregator answers 503
 * for subresources.kubevirt.io, until virt-api is scaled back.
 */
import { readdirSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { KubeObject } from '../../../src/api/types.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';

const NAMESPACE = 'examples';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sidecarGateOff = 'sidecar feature gate is not enabled in kubevirt-config, invalid entry';
const instancetypeConflict = (field: string) => `${field}: VM field(s) ${field} conflicts with selected instance type`;

/**
 * The examples a default cluster refuses, with kubectl's line for each. For
 * one object kubectl prints a 422 without a name as "The request is invalid:
 * <cause field>: <cause message>", and a 400 as "Error from server: error when
 * creating ...: <message>".
 */
const REJECTED: Record<string, (file: string) => string> = {
  'vm-cirros-with-sidecar-hook-configmap.yaml': () =>
    `The request is invalid: spec.template.metadata.annotations: ${sidecarGateOff} spec.template.metadata.annotations.hooks.kubevirt.io/hookSidecars`,
  'vmi-with-sidecar-hook.yaml': () =>
    `The request is invalid: metadata.annotations: ${sidecarGateOff} metadata.annotations.hooks.kubevirt.io/hookSidecars`,
  'vmi-with-sidecar-hook-configmap.yaml': () =>
    `The request is invalid: metadata.annotations: ${sidecarGateOff} metadata.annotations.hooks.kubevirt.io/hookSidecars`,
  'vmi-host-disk.yaml': () => 'The request is invalid: spec.volumes[0]: HostDisk feature gate is not enabled',
  'vmi-usb.yaml': () =>
    'The request is invalid: spec.domain.devices.hostDevices: Host Devices feature gate is not enabled in kubevirt-config',
  // Their templates set memory.guest, which their instancetype owns (§8.2).
  ...Object.fromEntries(
    [
      'vm-cirros-clarge.yaml',
      'vm-cirros-clarge-virtio.yaml',
      'vm-cirros-clarge-windows.yaml',
      'vm-cirros-csmall.yaml',
      'vm-cirros-cluster-csmall.yaml',
      'vm-windows-clarge-windows.yaml',
    ].map((file) => [file, () => `The request is invalid: ${instancetypeConflict('spec.template.spec.domain.memory.guest')}`]),
  ),
  // Dry-run VMIs are not stored, so the migration's VMI does not exist yet (the migration is admitted below once it does).
  'migration-job.yaml': (file) =>
    `Error from server: error when creating "${file}": admission webhook "migration-create-validator.kubevirt.io" denied the request: the VMI "${NAMESPACE}/vmi-migratable" does not exist`,
};
/** resource.k8s.io is not served by a default v1.32 cluster: kubectl's own schema check fails before any request. */
const NOT_SERVED = 'pgpu-resource-claim-tmpl.yaml';
/** Instancetypes, preferences and priority classes the VMs refer to: created for real first. */
const PREREQUISITES = [
  'clarge.yaml',
  'cluster-csmall.yaml',
  'csmall.yaml',
  'virtio.yaml',
  'windows.yaml',
  'non-preemtible.yaml',
  'preemtible.yaml',
];

type Json = Record<string, unknown>;
/** The value at a dotted path ("spec.volumes.0.name") of kubectl's JSON. */
const at = (object: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value as Json | undefined)?.[key], object);

const dryRun = async (fixture: EmulatorFixture, file: string) =>
  fixture.kubectl(['apply', '--dry-run=server', '-o', 'json', '-n', NAMESPACE, '-f', kubevirtSchema(`examples/${file}`)]);
/** kubectl prints one object as itself and several as a List. */
const objectsOf = (stdout: string): Json[] => {
  const printed = JSON.parse(stdout) as Json;
  return printed.kind === 'List' ? (printed.items as Json[]) : [printed];
};

let fixture: EmulatorFixture;
const admitted = new Map<string, Json>();

t.before(async () => {
  fixture = await withEmulator(t, { workers: 1, installKubeVirt: true });
  await fixture.kubectl(['create', 'namespace', NAMESPACE]);
  for (const file of PREREQUISITES) {
    const created = await fixture.kubectl(['apply', '-n', NAMESPACE, '-f', kubevirtSchema(`examples/${file}`)]);
    if (created.code !== 0) throw new Error(`${file}: ${created.stderr}`);
  }
});

t.test('every example is admitted or rejected as on a default cluster, and nothing is stored', async (t) => {
  const files = readdirSync(kubevirtSchema('examples')).sort();
  t.equal(files.length, 47);
  for (const file of files) {
    const result = await dryRun(fixture, file);
    if (file === NOT_SERVED) {
      t.not(result.code, 0, file);
      t.match(result.stderr, 'the server could not find the requested resource', file);
    } else if (REJECTED[file]) {
      t.not(result.code, 0, `${file} rejected`);
      t.equal(result.stderr.trim(), REJECTED[file](kubevirtSchema(`examples/${file}`)), file);
    } else {
      t.equal(result.code, 0, `${file} admitted: ${result.stderr}`);
      for (const object of objectsOf(result.stdout)) admitted.set(`${object.kind}/${at(object, 'metadata.name')}`, object);
    }
  }
  const stored = await fixture.kubectl(['get', 'vm,vmi,vmim,vmirs,vmpool', '-n', NAMESPACE, '-o', 'name']);
  t.equal(stored.stdout, '', 'dry-run stored no VM, VMI, migration, replica set or pool');
});

t.test('a VM gets only the VM defaults (§3.2)', async (t) => {
  for (const name of ['vm-cirros', 'vm-cirros-sata']) {
    const vm = admitted.get(`VirtualMachine/${name}`)!;
    t.ok(vm, `${name} admitted`);
    const template = at(vm, 'spec.template');
    t.equal(at(vm, 'spec.runStrategy'), 'Halted');
    t.same(at(template, 'metadata.annotations'), { 'kubevirt.io/pci-topology-version': 'v3' });
    t.equal(at(template, 'spec.architecture'), 'amd64');
    t.same(at(template, 'spec.domain.machine'), { type: 'q35' });
    t.match(at(template, 'spec.domain.firmware.uuid'), UUID, 'firmware uuid');
    t.match(at(template, 'spec.domain.firmware.serial'), UUID, 'firmware serial');
    t.same(at(template, 'spec.domain.memory'), { guest: '128Mi' });
    // Disk bus, CPU topology and networks only appear on the VMI.
    t.equal(at(template, 'spec.domain.cpu'), undefined);
    t.equal(at(template, 'spec.networks'), undefined);
    t.equal(at(template, 'spec.domain.devices.interfaces'), undefined);
  }
  t.same(at(admitted.get('VirtualMachine/vm-cirros')!, 'spec.template.spec.domain.devices.disks'), [
    { name: 'containerdisk', disk: { bus: 'virtio' } },
    { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
  ]);
  t.same(at(admitted.get('VirtualMachine/vm-cirros-sata')!, 'spec.template.spec.domain.devices'), {}, 'no disks added to a VM template');
});

/** Annotations without the one `kubectl apply` adds. */
const withoutLastApplied = (annotations: unknown): Json =>
  Object.fromEntries(Object.entries(annotations as Json).filter(([key]) => key !== 'kubectl.kubernetes.io/last-applied-configuration'));

/** The defaults §3.1 gives every one of these VMIs on amd64 with the default KubeVirt configuration. */
function checkCommonVmiDefaults(t: Test, vmi: Json, guest: string): void {
  t.same(withoutLastApplied(at(vmi, 'metadata.annotations')), { 'kubevirt.io/pci-topology-version': 'v3' });
  t.same(at(vmi, 'metadata.finalizers'), ['kubevirt.io/foregroundDeleteVirtualMachine']);
  t.equal(at(vmi, 'spec.architecture'), 'amd64');
  t.same(at(vmi, 'spec.domain.machine'), { type: 'q35' });
  t.same(at(vmi, 'spec.domain.features'), { acpi: { enabled: true } });
  t.match(at(vmi, 'spec.domain.firmware.uuid'), UUID);
  t.equal(at(vmi, 'spec.evictionStrategy'), 'None');
  t.equal(at(vmi, 'spec.domain.memory.guest'), guest);
  // The image tag is :devel, so IfNotPresent.
  t.equal(at(vmi, 'spec.volumes.0.containerDisk.imagePullPolicy'), 'IfNotPresent');
  t.equal(at(vmi, 'status.phase'), 'Pending');
  t.same(
    (at(vmi, 'status.phaseTransitionTimestamps') as Json[]).map((p) => p.phase),
    ['Pending'],
  );
  t.same(at(vmi, 'status.currentCPUTopology'), { cores: 1, sockets: 1, threads: 1 });
  t.same(at(vmi, 'status.memory'), { guestAtBoot: guest, guestCurrent: guest, guestRequested: guest });
  t.equal(at(vmi, 'status.runtimeUser'), 107);
  t.same(at(vmi, 'status.guestOSInfo'), {});
}

const smallCpu = { cores: 1, sockets: 1, threads: 1, model: 'host-model', maxSockets: 4 };

t.test('fedora, masquerade and migratable VMIs come back with the VMI defaults (§3.1)', async (t) => {
  const masqueraded = { 'vmi-fedora': 'default', 'vmi-masquerade': 'testmasquerade', 'vmi-migratable': 'default' };
  for (const [name, network] of Object.entries(masqueraded)) {
    t.test(name, async (t) => {
      const vmi = admitted.get(`VirtualMachineInstance/${name}`)!;
      t.ok(vmi, 'admitted');
      // 1024M is below 1Gi, so no memory hotplug (no maxGuest).
      checkCommonVmiDefaults(t, vmi, name === 'vmi-migratable' ? '128Mi' : '1024M');
      t.same(at(vmi, 'spec.domain.cpu'), smallCpu);
      t.same(at(vmi, 'spec.networks'), [{ name: network, pod: {} }]);
      t.same(
        (at(vmi, 'spec.domain.devices.interfaces') as Json[]).map((i) => ({ name: i.name, masquerade: i.masquerade })),
        [{ name: network, masquerade: {} }],
      );
      t.same(at(vmi, 'spec.domain.devices.disks.0'), { name: 'containerdisk', disk: { bus: 'virtio' } });
    });
  }
});

t.test('a VMI without disks or networks gets sata disks and the default pod network (§3.1)', async (t) => {
  const vmi = admitted.get('VirtualMachineInstance/vmi-sata')!;
  checkCommonVmiDefaults(t, vmi, '128Mi');
  t.same(at(vmi, 'spec.domain.cpu'), smallCpu);
  t.same(at(vmi, 'spec.domain.devices.disks'), [{ name: 'containerdisk', disk: { bus: 'sata' } }]);
  t.same(at(vmi, 'spec.domain.devices.interfaces'), [{ name: 'default', bridge: {} }]);
  t.same(at(vmi, 'spec.networks'), [{ name: 'default', pod: {} }]);
});

t.test('1Gi of guest memory enables memory hotplug: maxGuest is four times the guest (§3.1 step 6)', async (t) => {
  const vmi = admitted.get('VirtualMachineInstance/vmi-alpine-efi')!;
  t.same(at(vmi, 'spec.domain.memory'), { guest: '1Gi', maxGuest: '4Gi' });
});

t.test('the migration is admitted once its VMI runs', async (t) => {
  const created = await fixture.kubectl(['apply', '-n', NAMESPACE, '-f', kubevirtSchema('examples/vmi-migratable.yaml')]);
  t.equal(created.code, 0, created.stderr);
  const ready = await fixture.kubectl(['wait', '-n', NAMESPACE, 'vmi/vmi-migratable', '--for=condition=Ready', '--timeout=60s'], {
    timeoutMs: 70_000,
  });
  t.equal(ready.code, 0, ready.stderr);
  const migration = await dryRun(fixture, 'migration-job.yaml');
  t.equal(migration.code, 0, migration.stderr);
  const [object] = objectsOf(migration.stdout);
  // The migration mutator's label and finalizer (§3.3).
  t.same(at(object!, 'metadata.labels'), { 'kubevirt.io/vmi-name': 'vmi-migratable' });
  t.same(at(object!, 'metadata.finalizers'), ['kubevirt.io/migrationJobFinalize']);
  t.equal((await fixture.kubectl(['get', 'vmim', '-n', NAMESPACE, '-o', 'name'])).stdout, '', 'not stored');
});

t.test('kubectl apply --dry-run=server of a stored VM runs the validator on the update and changes nothing', async (t) => {
  const file = kubevirtSchema('examples/vm-cirros.yaml');
  t.equal((await fixture.kubectl(['apply', '-n', NAMESPACE, '-f', file])).code, 0);
  const stored = async () =>
    JSON.parse((await fixture.kubectl(['get', 'vm', 'vm-cirros', '-n', NAMESPACE, '-o', 'json'])).stdout) as KubeObject;
  const before = await stored();
  const edited = (runStrategy: string) => ({
    input: JSON.stringify({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'vm-cirros', namespace: NAMESPACE },
      spec: { ...(before.spec as Json), runStrategy },
    }),
  });

  const invalid = await fixture.kubectl(['apply', '--dry-run=server', '-f', '-'], edited('Sometimes'));
  t.not(invalid.code, 0);
  t.equal(invalid.stderr.trim(), 'The request is invalid: spec.runStrategy: Invalid RunStrategy (Sometimes)');

  const valid = await fixture.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], edited('Always'));
  t.equal(valid.code, 0, valid.stderr);
  const answered = JSON.parse(valid.stdout) as Json;
  t.equal(at(answered, 'spec.runStrategy'), 'Always');

  const after = await stored();
  t.equal((after.spec as Json).runStrategy, 'Halted', 'the stored VM is unchanged');
  t.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
});

// Last: it scales virt-operator and virt-api down. It works in the default namespace, the tests above in NAMESPACE.
t.test('virt-api webhooks through kubectl', async (t) => {
  const { kubectl } = fixture;

  const noStrategy = JSON.stringify({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'nostrategy' },
    spec: { template: { spec: { domain: { devices: {} }, volumes: [] } } },
  });
  const rejected = await kubectl(['create', '-f', '-'], { input: noStrategy });
  t.not(rejected.code, 0);
  // kubectl prints a 422 whose details carry causes but no name as "The request is invalid: <field>: <message>", as with real KubeVirt.
  t.match(rejected.stderr, 'The request is invalid: spec.running: RunStrategy must be specified');

  const created = await kubectl(['create', '-f', kubevirtSchema('examples/vmi-migratable.yaml')]);
  t.equal(created.code, 0, created.stderr);
  const machine = await kubectl([
    'get',
    'vmi',
    'vmi-migratable',
    '-o',
    'jsonpath={.spec.domain.machine.type} {.spec.domain.cpu.sockets} {.status.runtimeUser}',
  ]);
  t.equal(machine.stdout, 'q35 1 107');

  const running = await kubectl(['create', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'deprecated' },
      spec: { running: false, template: { spec: { domain: { devices: {}, memory: { guest: '64Mi' } } } } },
    }),
  });
  t.equal(running.code, 0, running.stderr);
  t.match(running.stderr, 'Warning: spec.running is deprecated, please use spec.runStrategy instead.');

  const second = await kubectl(['create', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'second', namespace: 'default' }, spec: {} }),
  });
  t.not(second.code, 0);
  t.match(second.stderr, 'admission webhook "kubevirt-create-validator.kubevirt.io" denied the request: Kubevirt is already created');

  // Without virt-api, the apiserver cannot reach the webhooks (the operator would scale it back; stop it first).
  const clusterIP = (await kubectl(['-n', 'kubevirt', 'get', 'svc', 'virt-api', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
  await kubectl(['-n', 'kubevirt', 'scale', 'deployment', 'virt-operator', '--replicas=0']);
  await kubectl(['-n', 'kubevirt', 'scale', 'deployment', 'virt-api', '--replicas=0']);
  await kubectl(['-n', 'kubevirt', 'wait', 'pod', '-l', 'kubevirt.io=virt-api', '--for=delete', '--timeout=60s'], { timeoutMs: 70_000 });
  const down = await kubectl(['create', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  t.not(down.code, 0);
  t.match(
    down.stderr,
    `Internal error occurred: failed calling webhook "virtualmachines-mutator.kubevirt.io": failed to call webhook: Post "https://virt-api.kubevirt.svc:443/virtualmachines-mutate?timeout=10s": dial tcp ${clusterIP}:443: connect: connection refused`,
  );
  // The aggregator has no ready endpoint for the subresources APIService either.
  const start = () =>
    kubectl(['replace', '--raw', '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/vm-cirros/start', '-f', '-'], {
      input: '{}',
    });
  const unavailable = await start();
  t.not(unavailable.code, 0);
  t.match(unavailable.stderr, 'Error from server (ServiceUnavailable): the server is currently unable to handle the request');

  // Scaled back, both answer again.
  await kubectl(['-n', 'kubevirt', 'scale', 'deployment', 'virt-api', '--replicas=1']);
  const ready = await kubectl(['-n', 'kubevirt', 'rollout', 'status', 'deployment/virt-api', '--timeout=60s'], { timeoutMs: 70_000 });
  t.equal(ready.code, 0, ready.stderr);
  const up = await kubectl(['create', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  t.equal(up.code, 0, up.stderr);
  t.equal(
    (await kubectl(['get', 'vm', 'vm-cirros', '-o', 'jsonpath={.spec.template.spec.domain.machine.type}'])).stdout,
    'q35',
    'the mutator ran',
  );
  const started = await start();
  t.equal(started.code, 0, started.stderr);
  t.equal((await kubectl(['get', 'vm', 'vm-cirros', '-o', 'jsonpath={.spec.runStrategy}'])).stdout, 'Always');
});

// VirtualMachineInstancePresets (pkg/virt-api/webhooks/mutating-webhook/mutators/preset.go, vmi-mutator.go; the
// cases of tests/vmipreset_test.go): on create, each preset of the namespace whose selector matches the VMI's labels
// fills the settings the VMI leaves unset and annotates it virtualmachinepreset.kubevirt.io/<name>: kubevirt.io/v1,
// with a deprecation warning; a VMI setting of its own wins (no annotation); the exclusion annotation keeps presets
// away; presets that conflict with each other refuse the VMI with a 422.
t.test('VirtualMachineInstancePresets are applied to matching VMIs by virt-api', async (t) => {
  const { kubectl } = fixture;
  const preset = (name: string, selector: Record<string, string>, domain: Json) => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstancePreset',
    metadata: { name, namespace: 'presets' },
    spec: { selector: { matchLabels: selector }, domain: { devices: {}, ...domain } },
  });
  t.equal((await kubectl(['create', 'namespace', 'presets'])).code, 0);
  const presets = [
    preset('cpu-quad', { flavor: 'cpu' }, { cpu: { cores: 4 } }),
    preset('memory-small', { flavor: 'memory' }, { resources: { requests: { memory: '128Mi' } } }),
    preset('conflicting-memory', { conflict: 'yes' }, { resources: { requests: { memory: '256Mi' } } }),
  ];
  const created = await kubectl(['create', '-f', '-'], { input: presets.map((p) => JSON.stringify(p)).join('\n') });
  t.equal(created.code, 0, created.stderr);

  const vmi = (name: string, labels: Record<string, string>, extra: { annotations?: Record<string, string>; memory?: string } = {}) =>
    JSON.stringify({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name, namespace: 'presets', labels, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
      spec: { domain: { devices: {}, ...(extra.memory ? { resources: { requests: { memory: extra.memory } } } : {}) } },
    });
  const admit = (input: string) => kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], { input });

  const cpu = await admit(vmi('with-cpu-preset', { flavor: 'cpu' }, { memory: '64Mi' }));
  t.equal(cpu.code, 0, cpu.stderr);
  const applied = JSON.parse(cpu.stdout) as Json;
  const annotations = (at(applied, 'metadata.annotations') ?? {}) as Record<string, string>;
  t.equal(annotations['virtualmachinepreset.kubevirt.io/cpu-quad'], 'kubevirt.io/v1');
  t.equal(at(applied, 'spec.domain.cpu.cores'), 4, "the preset's cores");
  t.match(cpu.stderr, 'Warning: kubevirt.io/v1 VirtualMachineInstancePresets is now deprecated and will be removed in v2.');

  const memory = await admit(vmi('with-memory-preset', { flavor: 'memory' }));
  t.equal(memory.code, 0, memory.stderr);
  const filled = JSON.parse(memory.stdout) as Json;
  t.equal(at(filled, 'spec.domain.resources.requests.memory'), '128Mi', "the preset's memory request");
  t.equal(
    ((at(filled, 'metadata.annotations') ?? {}) as Record<string, string>)['virtualmachinepreset.kubevirt.io/memory-small'],
    'kubevirt.io/v1',
  );

  const own = await admit(vmi('own-memory', { flavor: 'memory' }, { memory: '64Mi' }));
  t.equal(own.code, 0, own.stderr);
  const kept = JSON.parse(own.stdout) as Json;
  t.equal(at(kept, 'spec.domain.resources.requests.memory'), '64Mi', "the VMI's own request wins");
  t.notOk(Object.keys((at(kept, 'metadata.annotations') as Json | undefined) ?? {}).some((k) => k.startsWith('virtualmachinepreset')));
  t.notMatch(own.stderr, 'deprecated');

  const excluded = await admit(
    vmi(
      'excluded',
      { flavor: 'cpu' },
      { annotations: { 'virtualmachineinstancepresets.admission.kubevirt.io/exclude': 'true' }, memory: '64Mi' },
    ),
  );
  t.equal(excluded.code, 0, excluded.stderr);
  t.not(at(JSON.parse(excluded.stdout), 'spec.domain.cpu.cores'), 4, 'an excluded VMI keeps the defaults');

  const refused = await admit(vmi('conflicted', { flavor: 'memory', conflict: 'yes' }));
  t.not(refused.code, 0);
  t.match(
    refused.stderr,
    'admission webhook "virtualmachineinstances-mutator.kubevirt.io" denied the request: ' +
      "VirtualMachinePresets cannot be applied due to conflicts: presets 'memory-small' and 'conflicting-memory' conflict: " +
      'spec.resources.requests[memory]',
  );
});
