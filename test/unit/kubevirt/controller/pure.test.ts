import t from 'tap';
import { startBackoffSeconds } from '../../../../src/kubevirt/controller/vm/crash-loop.js';
import { clusterConfig } from '../../../../src/kubevirt/controller/cluster-config.js';
import { computeResources, memoryOverheadBytes } from '../../../../src/kubevirt/controller/services/launcher-resources.js';
import { vmiIdLabel } from '../../../../src/kubevirt/controller/services/launcher-pod.js';
import { legacyFirmwareUuid, vmiFromVm } from '../../../../src/kubevirt/controller/vm/vmi-from-vm.js';
import { expandIntoVmi } from '../../../../src/kubevirt/controller/instancetype/vm-instancetype.js';
import { deepFreeze } from '../../../../src/runtime/deep-freeze.js';
import { printableStatus, type VmStatusInput } from '../../../../src/kubevirt/controller/vm/vm-status.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../../../src/kubevirt/controller/types.js';

const Mi = 2 ** 20;

t.test('crash-loop delay: interval·n² plus up to half, capped at 300 s', async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 6].map((n) => startBackoffSeconds(n, 0)),
    [10, 40, 90, 160, 250, 300],
  );
  t.same(
    [1, 2, 3, 4].map((n) => startBackoffSeconds(n, 0.9999)),
    [15, 60, 135, 240],
  );
  t.equal(startBackoffSeconds(5, 0.9999), 300, 'capped');
});

t.test('memory overhead and compute resources', async (t) => {
  const config = clusterConfig(undefined, undefined);
  t.equal(memoryOverheadBytes({ domain: { memory: { guest: '128Mi' } } }), 268 * Mi, '220 + 8 per vCPU + 8 IOThread + 32 video');
  t.equal(
    memoryOverheadBytes({
      domain: { cpu: { sockets: 2, cores: 2 }, resources: { requests: { memory: '1Gi' } }, devices: { autoattachGraphicsDevice: false } },
    }),
    2 * Mi + 220 * Mi + 32 * Mi + 8 * Mi,
    'page tables from requests.memory/512, no video',
  );
  const resources = computeResources(
    {
      domain: {
        cpu: { sockets: 4 },
        memory: { guest: '1Gi' },
        devices: { interfaces: [{ name: 'default', model: 'e1000', masquerade: {} }] },
      },
    },
    config,
  );
  t.same(resources.requests, { cpu: '400m', memory: `${1024 + 220 + 32 + 8 + 32}Mi`, 'ephemeral-storage': '50M' });
  t.same(resources.limits, { 'devices.kubevirt.io/kvm': '1', 'devices.kubevirt.io/tun': '1' }, 'no vhost-net for a non-virtio model');
  const emulated = computeResources(
    { domain: { memory: { guest: '64Mi' }, resources: { requests: { cpu: '2' }, limits: { memory: '1Gi' } } } },
    { ...config, useEmulation: true },
  );
  t.same(
    emulated.limits,
    { memory: `${1024 + 268}Mi`, 'devices.kubevirt.io/tun': '1' },
    'memory limit gets the overhead; no kvm under emulation',
  );
  t.equal(emulated.requests.cpu, '2', 'an explicit CPU request wins');
  t.equal(emulated.requests.memory, `${1024 + 268}Mi`, 'memory request defaults to the limit');
});

t.test('names and ids', async (t) => {
  t.equal(vmiIdLabel('short'), 'short');
  const long = 'a'.repeat(70);
  t.match(vmiIdLabel(long), /^a{54}-[0-9a-f]{8}$/);
  t.match(legacyFirmwareUuid('testvm'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(legacyFirmwareUuid('testvm'), legacyFirmwareUuid('testvm'), 'stable');
});

t.test('printableStatus precedence', async (t) => {
  const vm = (extra: Partial<VirtualMachine['metadata']> = {}, runStrategy: 'Always' | 'Halted' = 'Always'): VirtualMachine => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'x', ...extra },
    spec: { runStrategy, template: { spec: { domain: {} } } },
  });
  const vmi = (
    phase: string,
    conditions: VirtualMachineInstance['status'] extends infer S ? (S extends { conditions?: infer C } ? C : never) : never = [],
    meta: Partial<VirtualMachineInstance['metadata']> = {},
  ): VirtualMachineInstance => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'x', uid: 'u', ...meta },
    spec: { domain: {} },
    status: { phase: phase as never, conditions },
  });
  const input = (v: VirtualMachine, i: VirtualMachineInstance | undefined, more: Partial<VmStatusInput> = {}): VmStatusInput => ({
    vm: v,
    vmi: i,
    syncError: undefined,
    startExpected: false,
    stopExpected: false,
    claimPhases: new Map(),
    nowMs: 0,
    now: '',
    random: 0,
    ...more,
  });
  const at = (i: VmStatusInput, status = {}) => printableStatus(i, status);
  t.equal(at(input(vm({ deletionTimestamp: 'now' }), vmi('Running'))), 'Terminating');
  t.equal(at(input(vm(), vmi('Running', [], { deletionTimestamp: 'now' }))), 'Stopping');
  t.equal(at(input(vm(), vmi('Running', [{ type: 'Paused', status: 'True' }]))), 'Paused');
  t.equal(at(input(vm(), vmi('Running'))), 'Running');
  t.equal(
    at(
      input(
        vm(),
        vmi('Pending', [
          { type: 'Synchronized', status: 'False', reason: 'FailedPvcNotFound' },
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' },
        ]),
      ),
    ),
    'ErrorPvcNotFound',
    'PVC before Unschedulable',
  );
  t.equal(at(input(vm(), vmi('Scheduling', [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }]))), 'ErrorUnschedulable');
  t.equal(at(input(vm(), vmi('Scheduling', [{ type: 'Synchronized', status: 'False', reason: 'ErrImagePull' }]))), 'ErrImagePull');
  t.equal(at(input(vm(), vmi('Scheduling', [{ type: 'Synchronized', status: 'False', reason: 'ImagePullBackOff' }]))), 'ImagePullBackOff');
  t.equal(at(input(vm(), vmi('Scheduled'))), 'Starting');
  t.equal(at(input(vm(), undefined, { startExpected: true })), 'Starting');
  t.equal(at(input(vm(), vmi('Failed')), { startFailure: { consecutiveFailCount: 1 } }), 'CrashLoopBackOff');
  t.equal(at(input(vm({}, 'Halted'), vmi('Failed')), { startFailure: { consecutiveFailCount: 1 } }), 'Stopped', 'no crash loop for Halted');
  t.equal(at(input(vm(), undefined)), 'Stopped');
  t.equal(at(input(vm(), vmi('Unknown'))), 'Unknown');

  // DataVolume states (pkg/storage/types HasDataVolumeErrors, HasDataVolumeProvisioning), between ErrorPvcNotFound and WaitingForVolumeBinding.
  const withDisk = vm();
  withDisk.spec.template.spec.volumes = [{ name: 'root', dataVolume: { name: 'root-dv' } }];
  const dv = (phase: string, conditions: Array<{ type: string; status: string; reason?: string }> = []) => ({
    dataVolume: (name: string) =>
      name === 'root-dv'
        ? { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name }, status: { phase, conditions } }
        : undefined,
  });
  t.equal(at(input(withDisk, undefined, dv('Failed'))), 'DataVolumeError');
  t.equal(
    at(input(withDisk, undefined, dv('ImportInProgress', [{ type: 'Running', status: 'False', reason: 'Error' }]))),
    'DataVolumeError',
  );
  t.equal(at(input(withDisk, undefined, dv('ImportInProgress', [{ type: 'Running', status: 'True' }]))), 'Provisioning');
  t.equal(at(input(withDisk, undefined, dv('Pending'))), 'Provisioning');
  t.equal(at(input(withDisk, undefined, dv('WaitForFirstConsumer'))), 'Stopped', 'waiting unbound for a consumer is not provisioning');
  t.equal(
    at(input(withDisk, undefined, dv('WaitForFirstConsumer', [{ type: 'Bound', status: 'True' }]))),
    'Provisioning',
    'bound while marked WaitForFirstConsumer is',
  );
  t.equal(at(input(withDisk, vmi('Running'), dv('Succeeded'))), 'Running');
});

t.test(
  'the VMI of a stored (frozen) VM: as from a deep copy, sharing what it does not change; an instancetype applies on a copy',
  async (t) => {
    const vm = (): VirtualMachine =>
      ({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name: 'vm1', namespace: 'ns', uid: 'u1', generation: 3 },
        spec: {
          runStrategy: 'Always',
          instancetype: { kind: 'VirtualMachineClusterInstancetype', name: 'small' },
          preference: { kind: 'VirtualMachineClusterPreference', name: 'sata' },
          template: {
            metadata: { labels: { app: 'a' }, annotations: { note: 'x' } },
            spec: {
              domain: { firmware: { serial: 's1' }, devices: { disks: [{ name: 'root', disk: {} }] } },
              volumes: [
                { name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
                { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config' } },
              ],
            },
          },
        },
      }) as unknown as VirtualMachine;
    const stored = deepFreeze(vm());
    const fromStored = vmiFromVm(stored, true);
    t.same(fromStored, vmiFromVm(structuredClone(vm()), true), 'the same VMI as from a copy of the VM');
    t.same(stored, vm(), 'the VM is left as it was');
    t.same(
      fromStored.spec.domain.devices?.disks?.map((d) => d.name),
      ['root', 'cloudinit'],
    );
    t.equal(fromStored.spec.volumes, stored.spec.template.spec.volumes, 'unchanged parts are the VM’s own');
    t.equal(fromStored.spec.domain.firmware?.serial, 's1');
    t.equal(fromStored.spec.domain.firmware?.uuid, legacyFirmwareUuid('vm1'));
    const specs: Record<string, unknown> = {
      VirtualMachineClusterInstancetype: { cpu: { guest: 2 }, memory: { guest: '1Gi' } },
      VirtualMachineClusterPreference: { devices: { preferredDiskBus: 'sata' } },
    };
    const lookup = async (ref: { kind: string }) =>
      deepFreeze({ apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: ref.kind, metadata: { name: 'x' }, spec: specs[ref.kind] });
    await expandIntoVmi(lookup, stored, fromStored);
    t.match(fromStored.spec.domain, { cpu: { sockets: 2 }, memory: { guest: '1Gi' } }, 'applied, though the VM is frozen');
    t.same(fromStored.spec.domain.devices?.disks?.[0], { name: 'root', disk: { bus: 'sata' } }, 'down to a disk of the template');
    t.same(stored, vm(), 'and the VM is still as it was');
  },
);
