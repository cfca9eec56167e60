/**
 * virt-handler's side of volume hotplug (pkg/virt-handler/vm.go updateHotplugVolumeStatus of KubeVirt v1.9). Once
 * virt-controller names a ready attachment pod (hotplugVolume.attachPodUID), the handler mounts the volume into the
 * launcher: MountedToPod; the launcher then attaches the disk to the domain, which gives it a target: Ready. A volume
 * gone from the spec is detached and unmounted: UnMountedFromPod, and virt-controller may delete its attachment pod.
 */
import type { VmiVolumeStatus } from './vmi-types.js';

export interface HotplugVolumeStatus extends VmiVolumeStatus {
  phase?: string;
  reason?: string;
  message?: string;
  hotplugVolume?: { attachPodName?: string; attachPodUID?: string };
}

/** Whether the launcher has the volume's disk in the domain (mounted into the pod first). */
export const isAttachedToDomain = (status: HotplugVolumeStatus | undefined): boolean =>
  !status?.hotplugVolume || status.phase === 'MountedToPod' || status.phase === 'Ready';

const canUpdateToMounted = (phase: string | undefined) => phase === 'Bound' || phase === 'Pending' || phase === 'AttachedToNode';
const canUpdateToUnmounted = (phase: string | undefined) => phase === 'Ready' || phase === 'MountedToPod' || phase === 'AttachedToNode';

/** The next status of a hotplug volume; `inSpec` says whether the VMI still has it. */
export function hotplugVolumeStatus(status: HotplugVolumeStatus, inSpec: boolean): HotplugVolumeStatus {
  if (status.target) {
    return { ...status, phase: 'Ready', reason: 'VolumeReady', message: `Successfully attach hotplugged volume ${status.name} to VM` };
  }
  // The handler mounts a volume still in the spec from its ready attachment pod, and unmounts one that left it.
  const mounted = inSpec && Boolean(status.hotplugVolume?.attachPodUID);
  if (mounted && canUpdateToMounted(status.phase)) {
    return {
      ...status,
      phase: 'MountedToPod',
      reason: 'VolumeMountedToPod',
      message: `Volume ${status.name} has been mounted in virt-launcher pod`,
    };
  }
  if (!mounted && !inSpec && canUpdateToUnmounted(status.phase)) {
    return {
      ...status,
      phase: 'UnMountedFromPod',
      reason: 'VolumeUnMountedFromPod',
      message: `Volume ${status.name} has been unmounted from virt-launcher pod`,
    };
  }
  return status;
}

/** generateEventsForVolumeStatusChange: an event for each phase change (statuses are dropped by virt-controller, not here). */
export function volumeStatusEvents(
  before: readonly HotplugVolumeStatus[] | undefined,
  after: readonly HotplugVolumeStatus[] | undefined,
): Array<{ reason: string; message: string }> {
  const next = new Map((after ?? []).map((s) => [s.name, s]));
  const events: Array<{ reason: string; message: string }> = [];
  for (const old of before ?? []) {
    const now = next.get(old.name);
    if (now && now.phase !== old.phase && now.reason) events.push({ reason: now.reason, message: now.message ?? '' });
  }
  return events;
}

export interface MemoryDumpVolumeStatus extends HotplugVolumeStatus {
  memoryDumpVolume?: { claimName?: string; startTimestamp?: string; endTimestamp?: string; targetFileName?: string };
}

/** dumpTargetFile: `<vmi>-<volume>-<YYYYMMDD-HHMMSS>.memory.dump` from the handler's clock (an RFC 3339 time). */
const dumpFileName = (vmiName: string, volume: string, now: string): string =>
  `${vmiName}-${volume}-${now.slice(0, 10).replaceAll('-', '')}-${now.slice(11, 19).replaceAll(':', '')}.memory.dump`;

/**
 * updateMemoryDumpInfo: a mounted dump volume starts the dump (MemoryDumpInProgress, its file name chosen); the
 * simulated domain writes it at once, so the next sync finds it done (MemoryDumpCompleted with both timestamps).
 */
export function memoryDumpVolumeStatus(vmiName: string, status: MemoryDumpVolumeStatus, now: string): MemoryDumpVolumeStatus {
  if (status.phase === 'MountedToPod') {
    return {
      ...status,
      phase: 'MemoryDumpInProgress',
      reason: 'VolumeMountedToPod',
      message: `Memory dump Volume ${status.name} is attached, getting memory dump`,
      memoryDumpVolume: { ...status.memoryDumpVolume, targetFileName: dumpFileName(vmiName, status.name, now) },
    };
  }
  if (status.phase === 'MemoryDumpInProgress') {
    return {
      ...status,
      phase: 'MemoryDumpCompleted',
      reason: 'VolumeReady',
      message: `Memory dump to Volume ${status.name} has completed successfully`,
      memoryDumpVolume: { ...status.memoryDumpVolume, startTimestamp: now, endTimestamp: now },
    };
  }
  return status;
}
