/**
 * Items of kubevirt-behaviour.md §12.1 an audit found missing, checked with
 * the real kubectl: instancetype expansion (§8: conflicts, ControllerRevision
 * names and labels, status refs, VMI annotations and spec, expand-spec) and
 * the VMI keeping the status its creator sent (virtualMachineRevisionName).
 */
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { installKubeVirt } from '../../helpers/kubevirt.js';

/** kubectl's JSON output, read field by field in the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let fixture: EmulatorFixture;
const SUBRESOURCES = '/apis/subresources.kubevirt.io/v1/namespaces/default';

const OBJECTS = `
apiVersion: instancetype.kubevirt.io/v1beta1
kind: VirtualMachineInstancetype
metadata: {name: it2, namespace: default}
spec:
  cpu: {guest: 2}
  memory: {guest: 256Mi}
  annotations: {from-instancetype: "yes"}
---
apiVersion: instancetype.kubevirt.io/v1beta1
kind: VirtualMachinePreference
metadata: {name: pref, namespace: default}
spec:
  cpu: {preferredCPUTopology: cores}
  devices: {preferredDiskBus: virtio, preferredInterfaceModel: virtio}
`;

const vm = (name: string, instancetype: string, domain = '{devices: {}}') => `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: ${name}, namespace: default}
spec:
  runStrategy: Always
  instancetype: {kind: VirtualMachineInstancetype, name: ${instancetype}}
  preference: {kind: VirtualMachinePreference, name: pref}
  template:
    spec:
      domain: ${domain}
      volumes: [{name: containerdisk, containerDisk: {image: quay.io/containerdisks/fedora:41}}]
`;

async function jsonOf(args: string[]): Promise<Json> {
  const result = await fixture.kubectl([...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as Json;
}

async function waitFor<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

t.before(async () => {
  fixture = await withEmulator(t, { workers: 1 });
  await installKubeVirt(fixture);
  const applied = await fixture.kubectl(['apply', '-f', '-'], { input: OBJECTS });
  if (applied.code !== 0) throw new Error(applied.stderr);
});

t.test('a template setting what the instancetype sets is rejected, one cause per field (§8.2)', async (t) => {
  const result = await fixture.kubectl(['create', '-f', '-'], {
    input: vm('conflicting', 'it2', '{devices: {}, cpu: {sockets: 2, cores: 1}, memory: {guest: 1Gi}}'),
  });
  t.not(result.code, 0);
  for (const field of [
    'spec.template.spec.domain.cpu.sockets',
    'spec.template.spec.domain.cpu.cores',
    'spec.template.spec.domain.memory.guest',
  ]) {
    t.match(result.stderr, `${field}: VM field(s) ${field} conflicts with selected instance type`);
  }
});

t.test('a VM with an instancetype and a preference: revisions, status refs, the expanded VMI (§8.3, §8.4)', async (t) => {
  t.equal((await fixture.kubectl(['create', '-f', '-'], { input: vm('sized', 'it2') })).code, 0);
  const instancetype = await jsonOf(['get', 'vminstancetype', 'it2']);
  const status = await waitFor(async () => {
    const read = (await jsonOf(['get', 'vm', 'sized'])).status;
    return read?.preferenceRef && read.printableStatus === 'Running' ? read : undefined;
  }, 'the VM running with its refs');
  const vmObject = await jsonOf(['get', 'vm', 'sized']);
  const revisionName = `sized-it2-v1beta1-${instancetype.metadata.uid}-1`;
  t.same(status.instancetypeRef, { name: 'it2', kind: 'VirtualMachineInstancetype', controllerRevisionRef: { name: revisionName } });
  t.match(status.preferenceRef.controllerRevisionRef.name, /^sized-pref-v1beta1-[0-9a-f-]{36}-1$/);

  const revision = await jsonOf(['get', 'controllerrevision', revisionName]);
  t.same(revision.metadata.labels, {
    'instancetype.kubevirt.io/object-generation': '1',
    'instancetype.kubevirt.io/object-kind': 'VirtualMachineInstancetype',
    'instancetype.kubevirt.io/object-name': 'it2',
    'instancetype.kubevirt.io/object-uid': instancetype.metadata.uid,
    'instancetype.kubevirt.io/object-version': 'v1beta1',
  });
  t.match(revision.metadata.ownerReferences, [{ kind: 'VirtualMachine', name: 'sized', uid: vmObject.metadata.uid, controller: true }]);
  t.same(revision.data.spec, instancetype.spec, 'the revision stores the instancetype');

  const vmi = await jsonOf(['get', 'vmi', 'sized']);
  t.match(vmi.metadata.annotations, {
    'kubevirt.io/instancetype-name': 'it2',
    'kubevirt.io/preference-name': 'pref',
    'from-instancetype': 'yes',
  });
  t.match(vmi.spec.domain.cpu, { sockets: 1, cores: 2, threads: 1 }, 'two vCPUs as cores, the preferred topology');
  t.equal(vmi.spec.domain.memory.guest, '256Mi');
  t.same(vmi.spec.domain.devices.disks, [{ name: 'containerdisk', disk: { bus: 'virtio' } }], 'the preferred disk bus');
  t.equal(vmi.spec.domain.devices.interfaces[0].model, 'virtio', 'the preferred interface model');
  t.match(vmi.status.currentCPUTopology, { sockets: 1, cores: 2, threads: 1 });
  t.equal(
    vmi.status.virtualMachineRevisionName,
    `revision-start-vm-${vmObject.metadata.uid}-1`,
    'the VMI keeps the status the VM controller created it with',
  );

  // Later edits of the instancetype do not reach the VM: it keeps its revision.
  await fixture.kubectl(['patch', 'vminstancetype', 'it2', '--type', 'merge', '-p', '{"spec":{"memory":{"guest":"512Mi"}}}']);
  t.same((await jsonOf(['get', 'vm', 'sized'])).status.instancetypeRef.controllerRevisionRef, { name: revisionName });
});

t.test('expand-spec returns the VM with instancetype, preference and defaults applied (§8.5)', async (t) => {
  await waitFor(async () => ((await jsonOf(['get', 'vm', 'sized'])).status?.instancetypeRef ? true : undefined), 'the refs');
  const read = await fixture.kubectl(['get', '--raw', `${SUBRESOURCES}/virtualmachines/sized/expand-spec`]);
  t.equal(read.code, 0, read.stderr);
  const expanded = JSON.parse(read.stdout) as Json;
  t.notOk(expanded.spec.instancetype, 'the matchers are gone');
  t.notOk(expanded.spec.preference);
  t.notOk(expanded.status?.instancetypeRef, 'and so are the status refs');
  const spec = expanded.spec.template.spec;
  t.match(spec.domain.cpu, { sockets: 1, cores: 2, threads: 1 });
  t.equal(spec.domain.memory.guest, '256Mi', 'from the stored revision, not the edited instancetype');
  t.same(spec.networks, [{ name: 'default', pod: {} }]);
  t.match(spec, { architecture: 'amd64', evictionStrategy: 'None' });

  const missing = await fixture.kubectl(['get', '--raw', `${SUBRESOURCES}/virtualmachines/nope/expand-spec`]);
  t.match(missing.stderr, 'virtualmachine.kubevirt.io "nope" not found');
  const empty = await fixture.kubectl(['replace', '--raw', `${SUBRESOURCES}/expand-vm-spec`, '-f', '-'], { input: '{}' });
  t.match(empty.stderr, /BadRequest.*Object is not a valid VirtualMachine/);
});

t.test('a missing instancetype keeps the VM from starting: Failure FailedFindInstancetype (§8.1)', async (t) => {
  t.equal(
    (await fixture.kubectl(['create', '-f', '-'], { input: vm('unsized', 'absent') })).code,
    0,
    'a missing object is no admission error',
  );
  const failure = await waitFor(async () => {
    const conditions = ((await jsonOf(['get', 'vm', 'unsized'])).status?.conditions ?? []) as Array<Record<string, string>>;
    return conditions.find((c) => c.type === 'Failure');
  }, 'the Failure condition');
  t.match(failure, {
    status: 'True',
    reason: 'FailedFindInstancetype',
    message: 'virtualmachineinstancetypes.instancetype.kubevirt.io "absent" not found',
  });
  t.not((await fixture.kubectl(['get', 'vmi', 'unsized'])).code, 0, 'no VMI');
});

// tests/instancetype/upgrade.go and pkg/instancetype/upgrade/handler.go: a VM pointing at a revision stored by an
// older release (named <vm>-<object>-<uid>-<generation>, no object-version label) gets a new revision of the same
// object under today's name and labels, its status ref is patched to it, and the old revision is deleted; a revision
// already labelled v1beta1 (the latest version) is left as it is.
t.test('a legacy instancetype ControllerRevision is upgraded to the latest version by virt-controller', async (t) => {
  const created = await fixture.kubectl(['create', '-f', '-', '-o', 'json'], {
    input: JSON.stringify({
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachineInstancetype',
      metadata: { name: 'legacy-it', namespace: 'default' },
      spec: { cpu: { guest: 2 }, memory: { guest: '256Mi' } },
    }),
  });
  t.equal(created.code, 0, created.stderr);
  const instancetype = JSON.parse(created.stdout) as Json;
  const vmObject = await jsonOf(['get', 'vm', 'sized']);
  const current = vmObject.status.instancetypeRef.controllerRevisionRef.name as string;
  const { uid } = instancetype.metadata;
  const legacyName = `sized-legacy-it-${uid}-1`;
  const legacy = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: legacyName,
      namespace: 'default',
      labels: {
        'instancetype.kubevirt.io/object-generation': '1',
        'instancetype.kubevirt.io/object-kind': 'VirtualMachineInstancetype',
        'instancetype.kubevirt.io/object-name': 'legacy-it',
        'instancetype.kubevirt.io/object-uid': uid,
      },
      ownerReferences: [
        { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'sized', uid: vmObject.metadata.uid, controller: true },
      ],
    },
    data: { ...instancetype, metadata: { name: 'legacy-it', namespace: 'default', uid, generation: 1 } },
    revision: 0,
  };
  t.equal((await fixture.kubectl(['create', '-f', '-'], { input: JSON.stringify(legacy) })).code, 0);
  const pointAt = (name: string) =>
    fixture.kubectl([
      'patch',
      'vm',
      'sized',
      '--subresource=status',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/status/instancetypeRef/controllerRevisionRef/name', value: name }]),
    ]);
  t.equal((await pointAt(legacyName)).code, 0);

  const upgradedName = `sized-legacy-it-v1beta1-${uid}-1`;
  const ref = await waitFor(async () => {
    const name = (await jsonOf(['get', 'vm', 'sized'])).status.instancetypeRef.controllerRevisionRef.name;
    return name === legacyName ? undefined : name;
  }, 'the status ref to move off the legacy revision');
  t.equal(ref, upgradedName, "today's revision name");
  const upgraded = await jsonOf(['get', 'controllerrevision', upgradedName]);
  t.equal(upgraded.metadata.labels['instancetype.kubevirt.io/object-version'], 'v1beta1', 'labelled with the latest version');
  t.equal(upgraded.data.apiVersion, 'instancetype.kubevirt.io/v1beta1');
  t.same(upgraded.data.spec, instancetype.spec);
  t.match(upgraded.metadata.ownerReferences, [{ kind: 'VirtualMachine', name: 'sized', controller: true }]);
  await waitFor(
    async () => ((await fixture.kubectl(['get', 'controllerrevision', legacyName])).code !== 0 ? true : undefined),
    'the legacy revision to be deleted',
  );

  // A revision of the latest version stays referenced as it is.
  t.equal((await pointAt(current)).code, 0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.equal((await jsonOf(['get', 'vm', 'sized'])).status.instancetypeRef.controllerRevisionRef.name, current);
  t.equal((await fixture.kubectl(['get', 'controllerrevision', current])).code, 0);
});
