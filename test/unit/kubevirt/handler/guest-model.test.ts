import t from 'tap';
import { guestOfImage, guestOfVmi } from '../../../../src/kubevirt/handler/guest-os.js';
import { migrationBlockers, migrationMethod } from '../../../../src/kubevirt/handler/migratable.js';
import { handlerStatus, phaseFromDomain } from '../../../../src/kubevirt/handler/vmi-status.js';
import type { Domain } from '../../../../src/kubevirt/handler/domains.js';
import { vmiFromExampleVm } from './handler-harness.js';

t.test('the guest is read from the image name, with or without registry port, tag or digest', async (t) => {
  t.equal(guestOfImage('registry:5000/kubevirt/cirros-container-disk-demo:devel').family, 'cirros');
  t.equal(guestOfImage('quay.io/containerdisks/fedora:41').osInfo.versionId, '41');
  t.equal(guestOfImage('quay.io/containerdisks/centos-stream:9@sha256:abc').family, 'centos');
  t.equal(guestOfImage('quay.io/kubevirt/alpine-container-disk-demo').hasAgent, false);
  t.equal(guestOfImage('windows2022').hasAgent, true);
  const vmi = vmiFromExampleVm('vm-cirros.yaml');
  vmi.metadata.annotations = { 'emulator.kubevirt.io/guest-agent': 'true' };
  t.equal(guestOfVmi(vmi).hasAgent, true, 'the emulator annotation overrides the image');
});

t.test('migration conditions: bridge on the pod network, RWO PVCs, block migration for node-local disks', async (t) => {
  const vmi = vmiFromExampleVm('vm-cirros.yaml');
  t.same(
    migrationBlockers(vmi, 'n', true).map((b) => b.reason),
    ['InterfaceNotLiveMigratable'],
  );
  vmi.spec!.domain!.devices!.interfaces = [{ name: 'default', masquerade: {} }];
  t.same(
    migrationBlockers(vmi, 'n', false).map((b) => b.reason),
    ['CPUModeLiveMigratable'],
  );
  t.equal(migrationMethod(vmi), 'BlockMigration');
  vmi.spec!.volumes = [{ name: 'containerdisk', persistentVolumeClaim: { claimName: 'disk' } }];
  vmi.status = { volumeStatus: [{ name: 'containerdisk', target: 'vda', persistentVolumeClaimInfo: { accessModes: ['ReadWriteOnce'] } }] };
  t.match(migrationBlockers(vmi, 'n', true), [
    {
      reason: 'DisksNotLiveMigratable',
      message:
        'cannot migrate VMI: PVC disk is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)',
      storage: true,
    },
  ]);
  t.equal(migrationMethod(vmi), 'LiveMigration');
});

t.test('domain state to VMI phase, as calculateVmPhaseForStatusReason', async (t) => {
  const domain = (fields: Partial<Domain>): Domain => ({
    uid: 'u',
    key: 'd/v',
    podUid: 'p',
    nodeName: 'n',
    guest: guestOfImage('cirros'),
    state: 'Running',
    agentConnected: false,
    killedAfterGracePeriod: false,
    ...fields,
  });
  t.equal(phaseFromDomain('Scheduled', undefined, true), 'Scheduled');
  t.equal(phaseFromDomain('Scheduled', undefined, false), 'Failed');
  t.equal(phaseFromDomain('Running', undefined, true), 'Failed', 'the domain vanished');
  t.equal(phaseFromDomain('Scheduled', domain({ state: 'Paused', reason: 'User' }), true), 'Running');
  t.equal(phaseFromDomain('Running', domain({ state: 'Shutoff', reason: 'Shutdown' }), true), 'Succeeded');
  t.equal(phaseFromDomain('Running', domain({ state: 'Shutoff', reason: 'Destroyed' }), true), 'Succeeded');
  t.equal(phaseFromDomain('Running', domain({ state: 'Shutoff', reason: 'Destroyed', killedAfterGracePeriod: true }), true), 'Failed');
  t.equal(phaseFromDomain('Running', domain({ state: 'Shutoff', reason: 'Crashed' }), true), 'Failed');
});

t.test('a guest is built once per image reference and shared read-only; the agent annotation makes a copy', async (t) => {
  const fedora = guestOfImage('quay.io/containerdisks/fedora:41');
  t.equal(guestOfImage('quay.io/containerdisks/fedora:41'), fedora);
  t.ok(Object.isFrozen(fedora) && Object.isFrozen(fedora.image.files), 'frozen: no VMI can change another one’s guest');
  t.equal(fedora.image.kernel.release, guestOfImage('quay.io/containerdisks/fedora:41').image.kernel.release);
  t.not(guestOfImage('quay.io/containerdisks/fedora:40').image.kernel.release, undefined);
});

t.test('volume statuses are sorted by byte order, as strings.Compare', async (t) => {
  const names = ['b', 'B', 'a-1', 'a'];
  const vmi = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'v', namespace: 'ns', uid: 'u1' },
    spec: {
      domain: { devices: { disks: names.map((name) => ({ name, disk: { bus: 'virtio' } })) } },
      volumes: names.map((name) => ({ name, containerDisk: { image: `quay.io/containerdisks/fedora:${name}` } })),
    },
    status: { phase: 'Scheduled' },
  };
  const domain = { state: 'Running', agentConnected: false, guest: guestOfImage('fedora') } as unknown as Domain;
  const status = handlerStatus({
    vmi: vmi as never,
    domain,
    launcherAlive: true,
    podIPs: [],
    multusAttached: new Set(),
    syncError: undefined,
    nodeName: 'n1',
    nodeHasHostModel: true,
    now: '2026-01-01T00:00:00Z',
  });
  t.same(
    status.volumeStatus?.map((v) => v.name),
    ['B', 'a', 'a-1', 'b'],
  );
});
