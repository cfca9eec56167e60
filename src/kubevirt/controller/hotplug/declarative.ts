/**
 * Declarative volume hotplug (DeclarativeHotplugVolumes, pkg/storage/hotplug/hotplug.go of KubeVirt v1.9): the VM
 * controller makes the running VMI's hotplug volumes follow the VM template. A hotplug volume gone from (or changed in)
 * the template leaves the VMI; one new in the template joins it, with its disk, unless the VMI still reports a status
 * for it (it is being unplugged). Other volumes and disks are never touched.
 */
import { jsonEqual } from '../../../kube/json-equal.js';
import type { VirtualMachine, VirtualMachineInstance, Volume } from '../types.js';
import { isDeclarativeHotplugVolume } from './volumes.js';

type Disk = { name: string; cdrom?: unknown; [field: string]: unknown };

const byName = <T extends { name: string }>(items: readonly T[] | undefined): Map<string, T> =>
  new Map((items ?? []).map((item) => [item.name, item]));

/** The JSON patch that brings the VMI's volumes and disks in line with the VM, or undefined when they are. */
export function declarativeVolumesPatch(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): unknown[] | undefined {
  if (vm.spec.updateVolumesStrategy === 'Migration') return undefined;
  if (!vmi) return undefined;
  if (vmi.status?.phase !== 'Running') return undefined;
  const template = vm.spec.template.spec;
  const vmVolumes = byName(template.volumes);
  const vmiVolumes = byName(vmi.spec.volumes);
  const withStatus = new Set((vmi.status?.volumeStatus ?? []).map((s) => s.name));

  const kept = (vmi.spec.volumes ?? []).filter((volume) => {
    if (!isDeclarativeHotplugVolume(volume)) return true;
    const inVm = vmVolumes.get(volume.name);
    return inVm !== undefined && !(isDeclarativeHotplugVolume(inVm) && !jsonEqual(inVm, volume));
  });
  const added = (template.volumes ?? []).filter((v) => isDeclarativeHotplugVolume(v) && !vmiVolumes.has(v.name) && !withStatus.has(v.name));
  const volumes: Volume[] = [...kept, ...added];

  const nextVolumes = byName(volumes);
  const vmDisks = byName<Disk>(template.domain.devices?.disks);
  const vmiDisks: Disk[] = vmi.spec.domain.devices?.disks ?? [];
  const keptDisks = vmiDisks.filter((disk) => {
    if (nextVolumes.has(disk.name)) return true;
    const inVm = vmDisks.get(disk.name);
    if (!inVm) return false;
    // The volume changed: only a CD-ROM on both sides keeps its disk (the media is swapped, the drive stays).
    return !(vmVolumes.has(disk.name) && !(inVm.cdrom && disk.cdrom));
  });
  const vmiDiskNames = byName(vmiDisks);
  const addedDisks = (template.domain.devices?.disks ?? []).filter(
    (disk) => isDeclarativeHotplugVolume(nextVolumes.get(disk.name)) && !vmiDiskNames.has(disk.name),
  );
  const disks = [...keptDisks, ...addedDisks];

  if (jsonEqual(vmi.spec.volumes ?? [], volumes) && jsonEqual(vmiDisks, disks)) return undefined;
  const lists = [
    { path: '/spec/volumes', before: vmi.spec.volumes, after: volumes },
    { path: '/spec/domain/devices/disks', before: vmi.spec.domain.devices?.disks, after: disks },
  ];
  return [
    ...lists.map((l) => ({ op: 'test', path: l.path, value: l.before ?? null })),
    ...lists.map((l) => ({ op: l.before?.length ? 'replace' : 'add', path: l.path, value: l.after })),
  ];
}
