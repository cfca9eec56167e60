/**
 * What virt-controller reads from DataVolumes (pkg/storage/types, KubeVirt v1.9.0-rc.2): whether a VMI's
 * volumes are ready for its launcher pod (VolumeReadyToAttachToNode, with CDI's IsSucceededOrPendingPopulation
 * and IsWaitForFirstConsumerBeforePopulating), the VMI's DataVolumesReady condition
 * (pkg/virt-controller/watch/vmi/datavolumes.go aggregateDataVolumesConditions), and the DataVolume states
 * behind the VM's printableStatus (HasDataVolumeErrors, HasDataVolumeProvisioning).
 */
import type { PersistentVolumeClaim } from '../../../kube/volumes.js';
import { controllerRefOf } from '../../../kube/owners.js';
import { claimNameOf, isDeclarativeHotplugVolume } from '../hotplug/volumes.js';
import type { Condition, ConditionStatus, Volume } from '../types.js';
import type { DataVolume } from './datavolume-cache.js';

type Lookup<T> = (name: string) => T | undefined;

const readyStatusOf = (dv: DataVolume): string => dv.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
const conditionOf = (dv: DataVolume, type: string) => dv.status?.conditions?.find((c) => c.type === type);

/** The DataVolumes behind the volumes (ListDataVolumesFromVolumes: a DataVolume of each claim's name that exists). */
export function dataVolumesOf(volumes: readonly Volume[] | undefined, dataVolume: Lookup<DataVolume>): DataVolume[] {
  return (volumes ?? []).flatMap((volume) => {
    const name = volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;
    const dv = name === undefined ? undefined : dataVolume(name);
    return dv ? [dv] : [];
  });
}

/**
 * areDataVolumesReady for volumes whose claims all exist: a claim a DataVolume controls is ready once the
 * DataVolume is Succeeded or PendingPopulation; one still WaitForFirstConsumer counts as ready too, and asks for
 * the temporary pod that makes its claim bind. A claim of no DataVolume is ready as it is.
 */
export function volumesReady(
  volumes: readonly Volume[] | undefined,
  claim: Lookup<PersistentVolumeClaim>,
  dataVolume: Lookup<DataVolume>,
): { ready: boolean; waitsForFirstConsumer: boolean } {
  let ready = true;
  let waitsForFirstConsumer = false;
  for (const volume of volumes ?? []) {
    if (!(volume.dataVolume || volume.persistentVolumeClaim) || isDeclarativeHotplugVolume(volume)) continue;
    const pvc = claim(claimNameOf(volume) ?? '');
    const owner = pvc && controllerRefOf(pvc);
    if (owner?.kind !== 'DataVolume') continue;
    const phase = dataVolume(owner.name)?.status?.phase;
    const wffc = phase === 'WaitForFirstConsumer';
    waitsForFirstConsumer ||= wffc;
    ready &&= phase === 'Succeeded' || phase === 'PendingPopulation' || wffc;
  }
  return { ready, waitsForFirstConsumer };
}

/** aggregateDataVolumesConditions: no condition without DataVolumes; its times stay unset (null), as KubeVirt writes it. */
export function dataVolumesReadyCondition(dvs: readonly DataVolume[]): Condition | undefined {
  if (dvs.length === 0) return undefined;
  let status: ConditionStatus = 'True';
  for (const dv of dvs) {
    const dvStatus = readyStatusOf(dv);
    if (dvStatus === 'True') continue;
    if (dvStatus === 'False') status = 'False';
    else if (status === 'True') status = 'Unknown';
  }
  const allReady = status === 'True';
  return {
    type: 'DataVolumesReady',
    status,
    reason: allReady ? 'AllDVsReady' : 'NotAllDVsReady',
    message: allReady ? "All of the VMI's DVs are bound and ready" : "Not all of the VMI's DVs are ready",
    lastProbeTime: null,
    lastTransitionTime: null,
  };
}

export const hasFailedDataVolumes = (dvs: readonly DataVolume[]): boolean => dvs.some((dv) => dv.status?.phase === 'Failed');
export const hasWaitForFirstConsumer = (dvs: readonly DataVolume[]): boolean =>
  dvs.some((dv) => dv.status?.phase === 'WaitForFirstConsumer');

/** HasDataVolumeErrors: a DataVolume Failed, or its importer stopped on an error. */
export function hasDataVolumeErrors(volumes: readonly Volume[] | undefined, dataVolume: Lookup<DataVolume>): boolean {
  return (volumes ?? []).some((volume) => {
    const dv = volume.dataVolume?.name === undefined ? undefined : dataVolume(volume.dataVolume.name);
    if (!dv) return false;
    const running = conditionOf(dv, 'Running');
    return (
      dv.status?.phase === 'Failed' || (running?.status === 'False' && (running.reason === 'Error' || running.reason === 'ImagePullFailed'))
    );
  });
}

/** HasDataVolumeProvisioning: a DataVolume not yet populated, unless it only waits for its first consumer unbound. */
export function hasDataVolumeProvisioning(volumes: readonly Volume[] | undefined, dataVolume: Lookup<DataVolume>): boolean {
  return (volumes ?? []).some((volume) => {
    const dv = volume.dataVolume?.name === undefined ? undefined : dataVolume(volume.dataVolume.name);
    const phase = dv?.status?.phase;
    if (!dv || phase === 'Succeeded' || phase === 'PendingPopulation') return false;
    return conditionOf(dv, 'Bound')?.status === 'True' || phase !== 'WaitForFirstConsumer';
  });
}
