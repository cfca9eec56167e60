/**
 * Hotplug volumes as KubeVirt v1.9 tells them apart (pkg/storage/types/volume.go) and the volume requests of
 * virt-api's addvolume/removevolume applied to a VMI spec (pkg/controller ApplyVolumeRequestOnVMISpec).
 */
import type { Volume, VmiSpec } from '../types.js';

type HotplugSource = { hotpluggable?: boolean; claimName?: string; name?: string };

/** IsDeclarativeHotplugVolume: a PVC or DataVolume source marked hotpluggable. */
export function isDeclarativeHotplugVolume(volume: Volume | undefined): boolean {
  const pvc = volume?.persistentVolumeClaim as HotplugSource | undefined;
  const dv = volume?.dataVolume as HotplugSource | undefined;
  return Boolean(pvc?.hotpluggable || dv?.hotpluggable);
}

/** IsHotplugVolume: a declarative hotplug volume or a memory dump volume (always hotplugged). */
export function isHotplugVolume(volume: Volume | undefined): boolean {
  const dump = volume?.memoryDump as HotplugSource | undefined;
  return isDeclarativeHotplugVolume(volume) || Boolean(dump?.hotpluggable);
}

/** PVCNameFromVirtVolume: the claim behind a PVC, DataVolume or memory dump volume. */
export function claimNameOf(volume: Volume): string | undefined {
  const dump = volume.memoryDump as HotplugSource | undefined;
  return volume.persistentVolumeClaim?.claimName ?? volume.dataVolume?.name ?? dump?.claimName;
}

export interface AddVolumeOptions {
  name: string;
  disk?: { name?: string; [field: string]: unknown };
  volumeSource?: { persistentVolumeClaim?: HotplugSource; dataVolume?: HotplugSource };
  dryRun?: string[];
}

export interface RemoveVolumeOptions {
  name: string;
  dryRun?: string[];
}

/** v1.VirtualMachineVolumeRequest: exactly one of the two. */
export interface VolumeRequest {
  addVolumeOptions?: AddVolumeOptions;
  removeVolumeOptions?: RemoveVolumeOptions;
}

type Disk = { name: string; [field: string]: unknown };

/** ApplyVolumeRequestOnVMISpec: the spec with the volume (and its disk) added, or with both removed. */
export function applyVolumeRequest(spec: VmiSpec, request: VolumeRequest): VmiSpec {
  const volumes = spec.volumes ?? [];
  const disks: Disk[] = spec.domain.devices?.disks ?? [];
  const withLists = (nextVolumes: Volume[], nextDisks: Disk[]): VmiSpec => ({
    ...spec,
    volumes: nextVolumes,
    domain: { ...spec.domain, devices: { ...spec.domain.devices, disks: nextDisks } },
  });
  const add = request.addVolumeOptions;
  if (add) {
    if (volumes.some((v) => v.name === add.name)) return spec;
    const source = add.volumeSource ?? {};
    const volume: Volume = { name: add.name };
    if (source.persistentVolumeClaim) volume.persistentVolumeClaim = { ...source.persistentVolumeClaim, hotpluggable: true } as never;
    else if (source.dataVolume) volume.dataVolume = { ...source.dataVolume, hotpluggable: true } as never;
    const nextDisks = add.disk ? [...disks, { ...add.disk, name: add.name }] : disks;
    return withLists([...volumes, volume], nextDisks);
  }
  const remove = request.removeVolumeOptions;
  if (!remove) return spec;
  return withLists(
    volumes.filter((v) => v.name !== remove.name),
    disks.filter((d) => d.name !== remove.name),
  );
}
