/**
 * virt-controller's side of volume hotplug for a running VMI (pkg/virt-controller/watch/vmi/volume-hotplug.go and
 * storage.go updateVolumeStatus of KubeVirt v1.9): one attachment pod mounts the claims of every ready hotplug
 * volume; when that set changes a new pod is made and the old ones go once their volumes are unmounted. The
 * volume statuses of hotplug volumes follow the claim (Pending, Bound) and the pod (AttachedToNode, with
 * hotplugVolume.attachPodName/attachPodUID); virt-handler moves them on to MountedToPod and Ready, and to UnMountedFromPod
 * when a volume leaves the spec, after which its status stays (Detaching) until its attachment pod is gone.
 */
import type { Pod } from '../../../kube/pods.js';
import type { PersistentVolumeClaim } from '../../../kube/volumes.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { EventRecorder } from '../../../runtime/events.js';
import type { Informer } from '../../../runtime/informer.js';
import { Expectations } from '../../../runtime/expectations.js';
import { POD_REF } from '../constants.js';
import { errorMessage, statusCode } from '../errors.js';
import type { VirtualMachineInstance, Volume } from '../types.js';
import type { SyncError } from '../vmi/vmi-status.js';
import { podMatchesVolumes, renderAttachmentPod } from './attachment-pod.js';
import { claimNameOf } from './volumes.js';

type VolumeStatus = { name: string; [field: string]: unknown };
type HotplugStatus = VolumeStatus & {
  phase?: string;
  reason?: string;
  message?: string;
  hotplugVolume?: { attachPodName?: string; attachPodUID?: string };
};

export interface HotplugAttachmentsDeps {
  ctx: ComponentContext;
  /** Pods labelled kubevirt.io=hotplug-disk. */
  attachmentPods: Informer<Pod>;
  claim: (namespace: string | undefined, name: string) => PersistentVolumeClaim | undefined;
  recorder: EventRecorder;
  launcherImage: () => string;
}

/** The attachment pods a launcher pod controls. */
export function attachmentPodsOf(pods: Informer<Pod>, launcher: Pod): Pod[] {
  return pods
    .listByNamespace(launcher.metadata.namespace ?? '')
    .filter((pod) => pod.metadata.ownerReferences?.some((ref) => ref.controller && ref.uid === launcher.metadata.uid));
}

/** GetHotplugVolumes: claim-backed volumes of the VMI that its launcher pod was not created with. */
function hotplugVolumesOf(vmi: VirtualMachineInstance, launcher: Pod): Volume[] {
  const inPod = new Set(((launcher.spec.volumes ?? []) as Array<{ name: string }>).map((v) => v.name));
  return (vmi.spec.volumes ?? []).filter((v) => claimNameOf(v) !== undefined && !inPod.has(v.name));
}

const isRunningPhase = (pod: Pod): boolean => pod.status?.phase === 'Running';
const isSettled = (pod: Pod): boolean => ['Running', 'Succeeded', 'Failed'].includes(pod.status?.phase ?? '');
/** volumeReadyForPodDelete: a volume still mounted (or in use) keeps its pod. */
const keepsPod = (phase: unknown): boolean => phase === 'Ready' || phase === 'MountedToPod';

/** getActiveAndOldAttachmentPods: the pod mounting exactly these volumes (not being deleted), and the others newest first. */
function splitPods(volumes: readonly Volume[], pods: readonly Pod[]): { current?: Pod; old: Pod[] } {
  let current: Pod | undefined;
  const old: Pod[] = [];
  for (const pod of pods) {
    if (!podMatchesVolumes(pod, volumes)) old.push(pod);
    else if (!pod.metadata.deletionTimestamp) current = pod;
  }
  old.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
  return { current, old };
}

export class HotplugAttachments {
  private readonly expectations: Expectations;

  constructor(private readonly deps: HotplugAttachmentsDeps) {
    this.expectations = new Expectations(deps.ctx.clock);
  }

  /** Counts a new attachment pod seen by the informer (its launcher's uid keys the expectation). */
  observe(pod: Pod): void {
    const owner = pod.metadata.ownerReferences?.find((ref) => ref.controller);
    if (owner) this.expectations.creationObserved(owner.uid);
  }

  /** handleHotplugVolumes: create the pod for the ready volumes if none matches, clean up the old ones. */
  async sync(vmi: VirtualMachineInstance, launcher: Pod): Promise<SyncError | undefined> {
    const launcherUid = launcher.metadata.uid ?? '';
    if (!this.expectations.satisfied(launcherUid)) return undefined;
    const pods = attachmentPodsOf(this.deps.attachmentPods, launcher);
    const volumes = hotplugVolumesOf(vmi, launcher);
    if (volumes.length === 0 && pods.length === 0) return undefined;
    // A claim that exists is ready: without CDI every claim is populated (cdiv1.IsSucceededOrPendingPopulation).
    const ready = volumes.filter((v) => this.deps.claim(vmi.metadata.namespace, claimNameOf(v) ?? ''));
    let { current, old } = splitPods(ready, pods);
    if (!current && !old.some((pod) => !isSettled(pod)) && ready.length > 0) {
      const claims = (name: string) => this.deps.claim(vmi.metadata.namespace, name);
      const template = renderAttachmentPod(vmi, launcher, ready, claims, this.deps.launcherImage());
      this.expectations.expectCreations(launcherUid);
      try {
        current = await this.deps.ctx.client.create(template);
      } catch (err) {
        this.expectations.creationObserved(launcherUid);
        const message = errorMessage(err);
        void this.deps.recorder.event(vmi, 'Warning', 'FailedCreate', `Error creating attachment pod: ${message}`);
        return { reason: 'FailedCreate', message: `Error creating attachment pod ${message}`, requeue: true };
      }
      void this.deps.recorder.event(vmi, 'Normal', 'SuccessfulCreate', `Created attachment pod ${current.metadata.name ?? ''}`);
    }
    return this.cleanup(vmi, current, old, ready.length);
  }

  /** cleanupAttachmentPods: old pods go unless one of their volumes is still mounted, or one is the fallback while the new pod starts. */
  private async cleanup(vmi: VirtualMachineInstance, current: Pod | undefined, old: Pod[], readyCount: number) {
    const statuses = new Map<string, HotplugStatus>();
    for (const status of (vmi.status?.volumeStatus ?? []) as HotplugStatus[]) if (status.hotplugVolume) statuses.set(status.name, status);
    const inSpec = new Set<string>();
    for (const volume of vmi.spec.volumes ?? []) {
      inSpec.add(volume.name);
      statuses.delete(volume.name);
    }
    const podVolumeNames = (pod: Pod) => ((pod.spec.volumes ?? []) as Array<{ name: string }>).map((v) => v.name);
    let fallbackKept = false;
    for (const pod of old) {
      const preserves = podVolumeNames(pod).some((name) => inSpec.has(name) || keepsPod(statuses.get(name)?.phase));
      const currentNotRunning = !current || !isRunningPhase(current);
      if (!fallbackKept && isRunningPhase(pod) && !pod.metadata.deletionTimestamp && readyCount > 0 && currentNotRunning && preserves) {
        fallbackKept = true;
        continue;
      }
      if (podVolumeNames(pod).some((name) => keepsPod(statuses.get(name)?.phase))) continue;
      if (pod.metadata.deletionTimestamp) continue;
      const name = pod.metadata.name ?? '';
      try {
        await this.deps.ctx.client.delete(POD_REF, pod.metadata.namespace, name, { gracePeriodSeconds: 0 });
      } catch (err) {
        if (statusCode(err) === 404) continue;
        void this.deps.recorder.event(vmi, 'Warning', 'FailedDelete', `Failed to delete attachment pod ${name}`);
        return { reason: 'FailedDelete', message: `Error deleting attachment pod ${errorMessage(err)}`, requeue: true };
      }
      void this.deps.recorder.event(vmi, 'Normal', 'SuccessfulDelete', `Deleted attachment pod ${name}`);
    }
    return undefined;
  }

  /**
   * The hotplug part of updateVolumeStatus over the statuses computed for the rest: each hotplug volume's phase
   * from its claim and attachment pod; statuses of volumes gone from the spec kept while a pod still mounts them.
   */
  volumeStatuses(
    vmi: VirtualMachineInstance,
    launcher: Pod,
    statuses: readonly VolumeStatus[],
    claimInfo: (claimName: string) => Record<string, unknown>,
  ): VolumeStatus[] {
    const pods = attachmentPodsOf(this.deps.attachmentPods, launcher);
    const hotplug = hotplugVolumesOf(vmi, launcher);
    const { current } = splitPods(hotplug, pods);
    const old = new Map(statuses.map((s) => [s.name, s as HotplugStatus]));
    const next: VolumeStatus[] = [];
    for (const volume of vmi.spec.volumes ?? []) {
      const existing = old.get(volume.name);
      old.delete(volume.name);
      if (!hotplug.includes(volume)) {
        if (existing) next.push(existing);
        continue;
      }
      const claimName = claimNameOf(volume) ?? '';
      const status = this.hotplugStatus(vmi, volume.name, claimName, existing ?? { name: volume.name, target: '' }, current);
      // A memory dump volume records its claim for virt-handler (updateVolumeStatus).
      if (volume.memoryDump && !status.memoryDumpVolume) status.memoryDumpVolume = { claimName: volume.name };
      next.push({ ...status, persistentVolumeClaimInfo: claimInfo(claimName) });
    }
    for (const [name, status] of old) {
      const pod = pods.find((p) => ((p.spec.volumes ?? []) as Array<{ name: string }>).some((v) => v.name === name));
      if (!pod || !status.hotplugVolume) continue;
      const phase = keepsPod(status.phase) ? status.phase : 'Detaching';
      const unplugged: HotplugStatus = {
        ...status,
        phase,
        hotplugVolume: { attachPodName: pod.metadata.name, attachPodUID: pod.metadata.uid },
      };
      if (phase === 'Detaching' && pod.metadata.deletionTimestamp) {
        unplugged.reason = 'SuccessfulDelete';
        unplugged.message = `Deleted hotplug attachment pod ${pod.metadata.name ?? ''}, for volume ${name}`;
        if (status.reason !== unplugged.reason) void this.deps.recorder.event(vmi, 'Normal', unplugged.reason, unplugged.message);
      }
      next.push(unplugged);
    }
    return next.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** processHotplugVolumeStatus. */
  private hotplugStatus(vmi: VirtualMachineInstance, volumeName: string, claimName: string, status: HotplugStatus, pod: Pod | undefined) {
    const next: HotplugStatus = { ...status, hotplugVolume: { ...status.hotplugVolume } };
    let fromClaim = false;
    if (!pod) {
      if (next.phase !== 'Ready') {
        delete next.hotplugVolume!.attachPodUID;
        fromClaim = true;
      }
    } else {
      next.hotplugVolume!.attachPodName = pod.metadata.name;
      const containers = pod.status?.containerStatuses ?? [];
      if (containers.length === 1 && containers[0].ready) next.hotplugVolume!.attachPodUID = pod.metadata.uid;
      else delete next.hotplugVolume!.attachPodUID;
      if (!next.phase || next.phase === 'Bound' || next.phase === 'Pending') {
        next.phase = 'AttachedToNode';
        next.reason = 'SuccessfulCreate';
        next.message = `Created hotplug attachment pod ${pod.metadata.name ?? ''}, for volume ${volumeName}`;
        void this.deps.recorder.event(vmi, 'Normal', next.reason, next.message);
      }
      if (next.phase === 'Detaching') fromClaim = true;
    }
    if (fromClaim) Object.assign(next, this.claimPhase(vmi.metadata.namespace, claimName));
    return next;
  }

  /** getVolumePhaseMessageReason. */
  private claimPhase(namespace: string | undefined, claimName: string): { phase: string; reason: string; message: string } {
    const claim = this.deps.claim(namespace, claimName);
    if (!claim) return { phase: 'Pending', reason: 'FailedPvcNotFound', message: `PVC ${claimName} not found` };
    const phase = claim.status?.phase;
    if (phase === 'Pending') return { phase: 'Pending', reason: 'PVCNotReady', message: 'PVC is in phase ClaimPending' };
    if (phase === 'Bound') return { phase: 'Bound', reason: 'PVCNotReady', message: 'PVC is in phase Bound' };
    return { phase: 'Pending', reason: 'PVCNotReady', message: 'PVC is in phase Lost' };
  }
}
