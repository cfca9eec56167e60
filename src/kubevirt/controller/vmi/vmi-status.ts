/**
 * The VMI controller's status step (pkg/virt-controller/watch/vmi/
 * lifecycle.go updateStatus) as a pure function: from the VMI, its current
 * launcher pod and the outcome of the sync step, the VMI as it should be.
 * Pending → Scheduling once a pod exists; Scheduling → Scheduled once the pod
 * runs (the hand-over to virt-handler); Failed when the pod goes away first;
 * finalizers dropped once a final VMI has no pod left. DataVolumesReady from
 * the VMI's DataVolumes, Provisioning while one waits for its first consumer.
 */
import { podCondition, type Pod } from '../../../kube/pods.js';
import { findCondition, hasCondition, withCondition, withoutCondition } from '../conditions.js';
import {
  ANNOTATION_MEMORY_OVERHEAD,
  ANNOTATION_MIGRATION_TRANSPORT_UNIX,
  FINALIZER_VM_CONTROLLER,
  FINALIZER_VMI,
  FINALIZER_VMI_LEGACY,
  LABEL_NODE_NAME,
  LABEL_OUTDATED_LAUNCHER,
} from '../constants.js';
import { containerImageError, isLauncherPodReady, isPodDownOrGoingDown, isTempPod } from './launcher-pod-state.js';
import { formatQuantity } from '../../../kube/quantity.js';
import type { PersistentVolumeClaim } from '../../../kube/volumes.js';
import type { DataVolume } from '../datavolume/datavolume-cache.js';
import { dataVolumesReadyCondition, hasFailedDataVolumes, hasWaitForFirstConsumer } from '../datavolume/volume-readiness.js';
import { isFinal, isUnprocessed, type Condition, type VirtualMachineInstance, type VmiPhase, type VmiStatus } from '../types.js';

/** A failure of the sync step, as KubeVirt's SyncError: a reason for the Synchronized condition and a message. */
export interface SyncError {
  reason: string;
  message: string;
  /** Informal errors (a missing PVC) wait for an event instead of retrying. */
  requeue: boolean;
}

export interface VmiStatusInput {
  vmi: VirtualMachineInstance;
  /** The newest pod controlled by the VMI on its node (or anywhere before it has one). */
  pod: Pod | undefined;
  /** Every pod controlled by the VMI. */
  ownedPods: readonly Pod[];
  syncError: SyncError | undefined;
  /** The VMI's controller is a VirtualMachine that still exists. */
  hasOwnerVm: boolean;
  launcherImage: string;
  now: string;
  /** The VMI's PersistentVolumeClaims by name (from the informer), for volumeStatus[].persistentVolumeClaimInfo. */
  claim?: (name: string) => PersistentVolumeClaim | undefined;
  /** The DataVolumes behind the VMI's volumes (none without CDI). */
  dataVolumes?: readonly DataVolume[];
}

/** The Provisioning condition a VMI waiting on a WaitForFirstConsumer DataVolume gets (status only, times null). */
const PROVISIONING: Condition = { type: 'Provisioning', status: 'True', lastProbeTime: null, lastTransitionTime: null };

const readyCondition = (status: Condition['status'], reason: string, message: string, now: string): Condition => ({
  type: 'Ready',
  status,
  reason,
  message,
  lastProbeTime: null,
  lastTransitionTime: now,
});

/** The VMI's Ready condition from its pod (syncReadyConditionFromPod). */
function readyFromPod(vmi: VirtualMachineInstance, pod: Pod | undefined, now: string): Condition {
  if (!pod || isTempPod(pod)) return readyCondition('False', 'PodNotExists', 'virt-launcher pod has not yet been scheduled', now);
  if (isPodDownOrGoingDown(pod)) return readyCondition('False', 'PodTerminating', 'virt-launcher pod is terminating', now);
  if (vmi.status?.phase !== 'Running') return readyCondition('False', 'GuestNotRunning', 'Guest VM is not reported as running', now);
  const podReady = podCondition(pod, 'Ready');
  if (!podReady) return readyCondition('False', 'PodConditionMissing', 'virt-launcher pod is missing the Ready condition', now);
  const copy: Condition = {
    type: 'Ready',
    status: podReady.status,
    lastProbeTime: podReady.lastProbeTime ?? null,
    lastTransitionTime: podReady.lastTransitionTime ?? now,
  };
  if (podReady.reason) copy.reason = podReady.reason;
  if (podReady.message) copy.message = podReady.message;
  return copy;
}

/** The pod's PodScheduled=False condition mirrored on the VMI, or removed once the pod is scheduled. */
function mirrorPodScheduled(conditions: Condition[], pod: Pod): Condition[] {
  const scheduled = podCondition(pod, 'PodScheduled');
  if (scheduled?.status !== 'False') return withoutCondition(conditions, 'PodScheduled');
  const copy: Condition = {
    type: 'PodScheduled',
    status: 'False',
    lastProbeTime: scheduled.lastProbeTime ?? null,
    lastTransitionTime: scheduled.lastTransitionTime ?? null,
  };
  if (scheduled.reason) copy.reason = scheduled.reason;
  if (scheduled.message) copy.message = scheduled.message;
  return withCondition(conditions, copy);
}

const without = (list: readonly string[] | undefined, ...items: string[]): string[] => (list ?? []).filter((item) => !items.includes(item));

/** The pod-network interface names virt-handler fills in later (updateNetworkStatus). */
function initialInterfaces(vmi: VirtualMachineInstance): Array<{ name: string; podInterfaceName?: string }> {
  const podNetworks = new Set((vmi.spec.networks ?? []).filter((n) => n.pod !== undefined).map((n) => n.name));
  const existing = vmi.status?.interfaces ?? [];
  return (vmi.spec.domain.devices?.interfaces ?? []).map(
    (i) =>
      existing.find((e) => e.name === i.name) ?? (podNetworks.has(i.name) ? { name: i.name, podInterfaceName: 'eth0' } : { name: i.name }),
  );
}

/**
 * Without CDI, virt-controller takes CDI's default filesystem overhead for every claim (getFilesystemOverhead:
 * "Using default 5.5% filesystem overhead for pvc size").
 */
const DEFAULT_FILESYSTEM_OVERHEAD = '0.055';

/** persistentVolumeClaimInfo as updateVolumeStatus fills it from the claim (omitempty fields left out). */
export function claimInfo(claimName: string, claim: PersistentVolumeClaim | undefined): Record<string, unknown> {
  if (!claim) return { claimName };
  const info = {
    claimName,
    accessModes: claim.spec?.accessModes,
    volumeMode: claim.spec?.volumeMode,
    capacity: claim.status?.capacity,
    requests: claim.spec?.resources?.requests,
    filesystemOverhead: DEFAULT_FILESYSTEM_OVERHEAD,
  };
  return JSON.parse(JSON.stringify(info)) as Record<string, unknown>;
}

type VolumeStatus = { name: string; target?: string; [field: string]: unknown };

/** The volume statuses of the VMI's spec, new ones in spec order (virt-handler fills in targets and sorts them later). */
function initialVolumeStatus(vmi: VirtualMachineInstance): VolumeStatus[] {
  const existing = vmi.status?.volumeStatus ?? [];
  return (vmi.spec.volumes ?? []).map((v) => ({ target: '', ...(existing.find((e) => e.name === v.name) ?? { name: v.name }) }));
}

/** The statuses as they are, each claim's info refreshed from its claim (updateVolumeStatus). */
function withClaimInfo(statuses: VolumeStatus[], vmi: VirtualMachineInstance, claim: VmiStatusInput['claim']): VolumeStatus[] {
  return statuses.map((entry) => {
    const volume = vmi.spec.volumes?.find((v) => v.name === entry.name);
    const claimName = volume?.persistentVolumeClaim?.claimName ?? volume?.dataVolume?.name;
    return claimName ? { ...entry, persistentVolumeClaimInfo: claimInfo(claimName, claim?.(claimName)) } : entry;
  });
}

/**
 * EvictionRequested=True while virt-api's eviction interceptor has marked the
 * VMI for evacuation (status.evacuationNodeName), in every phase; gone once
 * the mark is cleared (migrated away, or evacuate/cancel).
 */
function syncEvictionRequested(conditions: Condition[], status: VmiStatus, now: string): Condition[] {
  const marked = typeof status.evacuationNodeName === 'string' && status.evacuationNodeName !== '';
  if (!marked) return withoutCondition(conditions, 'EvictionRequested');
  if (hasCondition(conditions, 'EvictionRequested', 'True')) return conditions;
  return withCondition(conditions, {
    type: 'EvictionRequested',
    status: 'True',
    reason: 'EvictionRequested',
    message: 'VMI is marked for eviction',
    lastProbeTime: now,
    lastTransitionTime: now,
  });
}

function activePods(pods: readonly Pod[]): Record<string, string> {
  const active: Record<string, string> = {};
  for (const pod of pods) active[pod.metadata.uid ?? ''] = pod.spec.nodeName ?? '';
  return active;
}

export function nextVmiState(input: VmiStatusInput): VirtualMachineInstance {
  const { vmi, pod, ownedPods, hasOwnerVm, now } = input;
  let syncError = input.syncError;
  // Only the top level of status, metadata and labels is written below (every nested value is replaced whole),
  // so copies of those three suffice: the informer's frozen VMI is not deep-cloned on every sync.
  const next: VirtualMachineInstance = {
    ...vmi,
    metadata: { ...vmi.metadata, labels: { ...vmi.metadata.labels } },
    status: { ...vmi.status },
  };
  const status = next.status!;
  const labels = next.metadata.labels!;
  if (next.metadata.finalizers?.includes(FINALIZER_VMI_LEGACY))
    next.metadata.finalizers = [...without(next.metadata.finalizers, FINALIZER_VMI_LEGACY, FINALIZER_VMI), FINALIZER_VMI];

  if (ownedPods.length > 0 || status.activePods) status.activePods = activePods(ownedPods);
  let conditions = withCondition(status.conditions, readyFromPod(vmi, pod, now));
  const dataVolumes = input.dataVolumes ?? [];
  const dataVolumesReady = dataVolumesReadyCondition(dataVolumes);
  if (dataVolumesReady) conditions = withCondition(conditions, dataVolumesReady);

  const launcherPod = pod && !isTempPod(pod) ? pod : undefined;
  if (launcherPod) {
    const image = launcherPod.spec.containers.find((c) => c.name === 'compute')?.image ?? '';
    if (image && image !== input.launcherImage) labels[LABEL_OUTDATED_LAUNCHER] = '';
    else delete labels[LABEL_OUTDATED_LAUNCHER];
    status.launcherContainerImageVersion = image;
    const overhead = launcherPod.metadata.annotations?.[ANNOTATION_MEMORY_OVERHEAD];
    if (overhead) status.memory = { ...(status.memory ?? {}), memoryOverhead: formatQuantity('memory', Number(overhead)) };
  }

  const phase: VmiPhase = status.phase ?? '';
  if (isUnprocessed(vmi)) {
    if (launcherPod) status.phase = 'Scheduling';
    else if (vmi.metadata.deletionTimestamp || hasFailedDataVolumes(dataVolumes)) status.phase = 'Failed';
    else {
      status.phase = 'Pending';
      if (hasWaitForFirstConsumer(dataVolumes) && !findCondition(conditions, PROVISIONING.type)) conditions = [...conditions, PROVISIONING];
      if (syncError?.reason === 'FailedPvcNotFound') {
        conditions = withoutCondition(conditions, 'PodScheduled');
        conditions.push({
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: syncError.message,
          lastProbeTime: null,
          lastTransitionTime: now,
        });
      }
    }
  } else if (phase === 'Scheduling') {
    conditions = withoutCondition(conditions, 'Provisioning');
    if (!launcherPod) status.phase = 'Failed';
    else {
      if (launcherPod.status?.qosClass) status.qosClass = launcherPod.status.qosClass;
      else delete status.qosClass;
      conditions = mirrorPodScheduled(conditions, launcherPod);
      const imageError = containerImageError(launcherPod);
      if (imageError) syncError = { ...imageError, requeue: true };
      if (isLauncherPodReady(launcherPod) && !vmi.metadata.deletionTimestamp) {
        status.volumeStatus = withClaimInfo(initialVolumeStatus(vmi), vmi, input.claim);
        status.interfaces = initialInterfaces(vmi);
        status.phase = 'Scheduled';
        labels[LABEL_NODE_NAME] = launcherPod.spec.nodeName ?? '';
        status.nodeName = launcherPod.spec.nodeName ?? '';
        if (launcherPod.metadata.annotations?.[ANNOTATION_MIGRATION_TRANSPORT_UNIX] !== undefined) status.migrationTransport = 'Unix';
      } else if (isPodDownOrGoingDown(launcherPod)) status.phase = 'Failed';
    }
  } else if (isFinal(vmi)) {
    if (ownedPods.length === 0) {
      next.metadata.finalizers = without(next.metadata.finalizers, FINALIZER_VMI, FINALIZER_VMI_LEGACY);
      delete labels[LABEL_OUTDATED_LAUNCHER];
      status.launcherContainerImageVersion = '';
    }
    if (!hasOwnerVm) next.metadata.finalizers = without(next.metadata.finalizers, FINALIZER_VM_CONTROLLER);
  } else if (phase === 'Running' || phase === 'Scheduled') {
    if (!launcherPod) status.phase = 'Failed';
    else status.volumeStatus = withClaimInfo(status.volumeStatus ?? initialVolumeStatus(vmi), vmi, input.claim);
  }

  // While virt-handler owns the VMI (Scheduled/Running) the Synchronized condition is its to set.
  if (phase !== 'Running' && phase !== 'Scheduled') {
    if (syncError) {
      if (!hasCondition(conditions, 'Synchronized', 'False', syncError.reason)) {
        conditions = withoutCondition(conditions, 'Synchronized');
        conditions.push({
          type: 'Synchronized',
          status: 'False',
          reason: syncError.reason,
          message: syncError.message,
          lastProbeTime: null,
          lastTransitionTime: now,
        });
      }
    } else if (findCondition(conditions, 'Synchronized')) conditions = withoutCondition(conditions, 'Synchronized');
  }
  status.conditions = syncEvictionRequested(conditions, status, now);
  if (status.phase !== vmi.status?.phase && status.phase) {
    status.phaseTransitionTimestamps = [
      ...(status.phaseTransitionTimestamps ?? []),
      { phase: status.phase, phaseTransitionTimestamp: now },
    ];
  }
  if (Object.keys(labels).length === 0) delete next.metadata.labels;
  return next;
}
