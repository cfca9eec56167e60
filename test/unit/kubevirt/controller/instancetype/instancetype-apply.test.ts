/**
 * applyToVmi (pkg/instancetype/apply, preference/apply): which template
 * fields conflict with an instancetype, how vCPUs map to a topology, and
 * that preferences only fill what is empty.
 */
import t from 'tap';
import { applyToVmi, type ApplicableSpec } from '../../../../../src/kubevirt/controller/instancetype/instancetype-apply.js';

const BASE = 'spec.template.spec';

t.test('CPU conflicts accumulate, memory reports its first conflict only', async (t) => {
  const spec: ApplicableSpec = {
    domain: { cpu: { sockets: 2, threads: 1 }, memory: { guest: '1Gi' }, resources: { requests: { memory: '1Gi', cpu: '1' } } },
  };
  const conflicts = applyToVmi(BASE, { cpu: { guest: 2 }, memory: { guest: '2Gi' } }, undefined, spec, {});
  t.same(conflicts, [
    `${BASE}.domain.resources.requests.cpu`,
    `${BASE}.domain.cpu.sockets`,
    `${BASE}.domain.cpu.threads`,
    `${BASE}.domain.memory.guest`,
  ]);
});

t.test('model, nodeSelector and annotations conflict only when both sides set them', async (t) => {
  const metadata = { annotations: { shared: 'vm', own: 'x' } };
  const spec: ApplicableSpec = { nodeSelector: { a: 'b' }, domain: { cpu: { model: 'Haswell' } } };
  const conflicts = applyToVmi(
    BASE,
    {
      cpu: { guest: 1, model: 'Skylake' },
      memory: { guest: '1Gi' },
      nodeSelector: { c: 'd' },
      annotations: { shared: 'instancetype', added: 'y' },
    },
    undefined,
    spec,
    metadata,
  );
  t.same(conflicts, [`${BASE}.nodeSelector`, `${BASE}.domain.cpu.model`, 'annotations.shared']);
  const clean: ApplicableSpec = { domain: { cpu: { model: 'Haswell' } } };
  t.same(applyToVmi(BASE, { cpu: { guest: 1 }, memory: { guest: '1Gi' } }, undefined, clean, {}), []);
  t.equal(clean.domain?.cpu?.model, 'Haswell', 'a model the instancetype leaves open stays');
});

t.test('vCPUs follow the preferred topology; sockets by default', async (t) => {
  const topologyOf = (preferredCPUTopology: string | undefined, guest = 4, spreadOptions?: { ratio?: number; across?: string }) => {
    const spec: ApplicableSpec = {};
    applyToVmi(
      BASE,
      { cpu: { guest }, memory: { guest: '1Gi' } },
      preferredCPUTopology ? { cpu: { preferredCPUTopology, spreadOptions } } : undefined,
      spec,
      {},
    );
    const { sockets, cores, threads } = spec.domain?.cpu ?? {};
    return [sockets, cores, threads];
  };
  t.same(topologyOf(undefined), [4, 1, 1]);
  t.same(topologyOf('cores'), [1, 4, 1]);
  t.same(topologyOf('preferThreads'), [1, 1, 4], 'the deprecated prefer* names');
  t.same(topologyOf('spread'), [2, 2, 1], 'spread: ratio 2 across sockets and cores');
  t.same(topologyOf('spread', 8, { across: 'SocketsCoresThreads' }), [2, 2, 2]);
  t.same(topologyOf('cores', 1), [1, 1, 1], 'one vCPU is always 1/1/1');
});

t.test('memory: guest, overcommit request, maxGuest', async (t) => {
  const spec: ApplicableSpec = {};
  t.same(
    applyToVmi(BASE, { cpu: { guest: 1 }, memory: { guest: '1Gi', overcommitPercent: 25, maxGuest: '4Gi' } }, undefined, spec, {}),
    [],
  );
  t.same(spec.domain?.memory, { guest: '1Gi', maxGuest: '4Gi' });
  t.equal(spec.domain?.resources?.requests?.memory, String(0.75 * 2 ** 30));
});

t.test('preferences fill only empty fields and are skipped on a conflict', async (t) => {
  const preference = {
    devices: {
      preferredDiskBus: 'virtio',
      preferredCdromBus: 'sata',
      preferredInterfaceModel: 'e1000e',
      preferredAutoattachSerialConsole: false,
    },
    machine: { preferredMachineType: 'pc-q35-rhel9.6.0' },
    preferredTerminationGracePeriodSeconds: 180,
    annotations: { a: 'preference' },
  };
  const spec: ApplicableSpec = {
    terminationGracePeriodSeconds: 0,
    domain: {
      devices: {
        disks: [{ name: 'a' }, { name: 'b', disk: { bus: 'scsi' } }, { name: 'c', cdrom: {} }],
        interfaces: [{ name: 'default', bridge: {} }],
      },
    },
  };
  const metadata = { annotations: { a: 'vm' } };
  t.same(applyToVmi(BASE, undefined, preference, spec, metadata), []);
  t.same(spec.domain?.devices?.disks, [
    { name: 'a', disk: { bus: 'virtio' } },
    { name: 'b', disk: { bus: 'scsi' } },
    { name: 'c', cdrom: { bus: 'sata' } },
  ]);
  t.same(spec.domain?.devices?.interfaces, [{ name: 'default', bridge: {}, model: 'e1000e' }]);
  t.equal(spec.domain?.devices?.autoattachSerialConsole, false);
  t.equal(spec.domain?.machine?.type, 'pc-q35-rhel9.6.0');
  t.equal(spec.terminationGracePeriodSeconds, 0, "a zero grace period is the VM's own choice");
  t.same(metadata.annotations, { a: 'vm' }, 'a preference annotation never overrides');

  const conflicting: ApplicableSpec = { domain: { memory: { guest: '1Gi' } } };
  t.same(applyToVmi(BASE, { cpu: { guest: 1 }, memory: { guest: '2Gi' } }, preference, conflicting, {}), [`${BASE}.domain.memory.guest`]);
  t.notOk(conflicting.domain?.machine, 'no preference on a conflict');
});
