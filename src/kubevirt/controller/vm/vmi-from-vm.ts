/**
 * The VMI a VM starts (vm.go SetupVMIFromVM and startVMI): the template's
 * metadata and spec, named after the VM, owned by it, carrying the VM
 * generation and the VM controller's finalizer, with a stable firmware UUID,
 * a disk for every volume and the default pod network.
 */
import { createHash } from 'node:crypto';
import { ANNOTATION_VM_GENERATION, FINALIZER_VM_CONTROLLER } from '../constants.js';
import type { VirtualMachine, VirtualMachineInstance, VmiSpec } from '../types.js';
import { vmControllerRef } from './vm-owner-reference.js';

/** Namespace of the name-based UUIDs KubeVirt gives VMs created before the webhook set one (firmware.go). */
const LEGACY_UUID_NAMESPACE = '6a1a24a1-4061-4607-8bf4-a3963d0c5895';

/** RFC 4122 version-5 (SHA-1) UUID of `name` in `namespace`, as Go's uuid.NewSHA1. */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name)
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const legacyFirmwareUuid = (vmName: string): string => uuidV5(LEGACY_UUID_NAMESPACE, vmName);

/** Every volume without a disk or filesystem of its name gets a plain disk (util.SetDefaultVolumeDisk). */
export function withDefaultDisks(spec: VmiSpec): void {
  const devices = (spec.domain.devices ??= {});
  const named = new Set([...(devices.disks ?? []), ...(devices.filesystems ?? [])].map((d) => d.name));
  for (const volume of spec.volumes ?? []) {
    if (!named.has(volume.name)) (devices.disks ??= []).push({ name: volume.name });
  }
}

/** No networks and no interfaces: the pod network through the cluster's default binding, bridge (SetDefaultNetworkInterface). */
export function withDefaultNetwork(spec: VmiSpec): void {
  const devices = (spec.domain.devices ??= {});
  if (devices.autoattachPodInterface === false) return;
  if ((devices.interfaces?.length ?? 0) > 0 || (spec.networks?.length ?? 0) > 0) return;
  devices.interfaces = [{ name: 'default', bridge: {} }];
  spec.networks = [{ name: 'default', pod: {} }];
}

/**
 * The VMI of the template. Only what is set here is copied (the spec, its domain, firmware and devices, the disk list);
 * everything else is the VM's own frozen objects, shared: a change deeper down (an instancetype) copies first.
 */
export function vmiFromVm(vm: VirtualMachine, startPaused: boolean): VirtualMachineInstance {
  const templateMeta = vm.spec.template.metadata ?? {};
  const template = vm.spec.template.spec;
  const devices = { ...template.domain.devices };
  if (devices.disks) devices.disks = [...devices.disks];
  const spec: VmiSpec = { ...template, domain: { ...template.domain, firmware: { ...template.domain.firmware }, devices } };
  if (startPaused) spec.startStrategy = 'Paused';
  const firmware = spec.domain.firmware!;
  if (!firmware.uuid) firmware.uuid = legacyFirmwareUuid(vm.metadata.name ?? '');
  withDefaultDisks(spec);
  withDefaultNetwork(spec);
  const metadata: VirtualMachineInstance['metadata'] = {
    ...templateMeta,
    name: vm.metadata.name,
    namespace: vm.metadata.namespace,
    annotations: { ...(templateMeta.annotations ?? {}), [ANNOTATION_VM_GENERATION]: String(vm.metadata.generation ?? 1) },
    ownerReferences: [vmControllerRef(vm)],
    finalizers: [FINALIZER_VM_CONTROLLER],
  };
  delete metadata.generateName;
  if (templateMeta.labels) metadata.labels = { ...templateMeta.labels };
  return { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata, spec };
}
