/**
 * How virt-controller reads a virt-launcher pod (pkg/controller/controller.go):
 * "ready" only needs the compute container running (its readiness belongs to
 * the guest), every other container Ready, and phase Running.
 */
import type { Pod } from '../../../kube/pods.js';
import { LABEL_APP } from '../constants.js';

export const LAUNCHER_SELECTOR = `${LABEL_APP}=virt-launcher`;
const EPHEMERAL_PROVISIONING = 'kubevirt.io/ephemeral-provisioning';

export const isPodDown = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

const isComputeDown = (pod: Pod): boolean =>
  pod.status?.containerStatuses?.find((s) => s.name === 'compute')?.state?.terminated !== undefined;

export const isPodDownOrGoingDown = (pod: Pod): boolean =>
  isPodDown(pod) || isComputeDown(pod) || pod.metadata.deletionTimestamp !== undefined;

export function isLauncherPodReady(pod: Pod): boolean {
  if (isPodDownOrGoingDown(pod)) return false;
  for (const status of pod.status?.containerStatuses ?? []) {
    if (status.name === 'compute' || status.name === 'istio-proxy') {
      if (!status.state?.running) return false;
    } else if (!status.ready) return false;
  }
  return pod.status?.phase === 'Running';
}

/** A WaitForFirstConsumer "doppelganger" pod, not the real launcher. */
export const isTempPod = (pod: Pod): boolean => pod.metadata.annotations?.[EPHEMERAL_PROVISIONING] === 'true';

/** The controller owner reference of a pod when it is a VMI. */
export const owningVmi = (pod: Pod): { name: string; uid: string } | undefined => {
  const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
  return ref && ref.kind === 'VirtualMachineInstance' ? { name: ref.name, uid: ref.uid } : undefined;
};

/** A container (init or main) stuck on its image: ErrImagePull or ImagePullBackOff with the kubelet's message. */
export function containerImageError(pod: Pod): { reason: string; message: string } | undefined {
  for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = status.state?.waiting;
    if (waiting && (waiting.reason === 'ErrImagePull' || waiting.reason === 'ImagePullBackOff'))
      return { reason: waiting.reason, message: waiting.message ?? '' };
  }
  return undefined;
}
