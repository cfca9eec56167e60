/**
 * /virt-launcher-pod-mutate (pkg/virt-api/webhooks/mutating-webhook/mutators/virt-launcher-pod-mutator.go), deployed
 * with the ContainerPathVolumes gate: a virt-launcher pod whose VMI shares a path of its compute container with the
 * guest (a containerPath volume with a virtiofs filesystem) gets a virtiofsd container per such volume that it lacks.
 * The path is one some other webhook mounted into compute (a projected service account token, a secret), so the pod
 * as created may not hold it yet: the webhook is reinvoked (IfNeeded) and adds only what is still missing. Anything
 * it cannot work out (no VMI, no compute container, no mount at the path) leaves the pod as it is.
 */
import type { AdmissionResponse, AdmissionReview } from '../../../admission/webhooks/types.js';
import type { Client } from '../../../client/client.js';
import type { JsonValue } from '../../../api/patch/json.js';
import type { KubeObject } from '../../../api/types.js';
import { parseQuantity } from '../../../kube/quantity.js';
import type { Container, Pod, VolumeMount } from '../../../kube/pods.js';
import { LABEL_APP, VMI_REF } from '../../controller/constants.js';
import type { AdmissionDeps } from './deps.js';
import { allowed, requestOf } from './responses.js';
import { jsonPatchResponse } from '../../../admission/webhooks/in-process-patch.js';

/** util.NonRootUID: virtiofsd runs as the qemu user, as virt-launcher does. */
const NON_ROOT_UID = 107;
/** virtiofs.VirtioFSContainersMountBaseDir: the sockets' directory, shared with compute (the template's emptyDir). */
const SOCKETS_VOLUME = 'virtiofs-containers';
const SOCKETS_DIR = '/var/run/kubevirt/virtiofs-containers';
/** Pod volume kinds Kubernetes fills itself, which hold no symlink a user could point outside the volume. */
const SUPPORTED_POD_VOLUMES = ['configMap', 'secret', 'projected', 'downwardAPI', 'emptyDir'];

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

interface Vmi extends KubeObject {
  spec: {
    domain: {
      cpu?: { dedicatedCpuPlacement?: boolean };
      resources?: Resources;
      devices?: { filesystems?: Array<{ name: string; virtiofs?: object }> };
    };
    volumes?: Array<{ name: string; containerPath?: { path: string; readOnly?: boolean } }>;
  };
}

type PodVolume = { name: string; projected?: { sources?: Array<{ serviceAccountToken?: object }> } } & Record<string, unknown>;

const containerName = (volume: string): string => `virtiofs-${volume}`;

/** The launcher pod's mutator: answers at once for any other pod, after reading its VMI for a launcher pod. */
export function virtLauncherPodMutator(client: Client): (deps: AdmissionDeps, review: AdmissionReview) => Promise<AdmissionResponse> {
  return async (deps, review) => {
    const request = requestOf(review);
    const pod = request.object as Pod | undefined;
    if (request.resource.resource !== 'pods' || pod?.metadata.labels?.[LABEL_APP] !== 'virt-launcher') return allowed(request);
    const owner = pod.metadata.ownerReferences?.find((ref) => ref.kind === 'VirtualMachineInstance' && ref.apiVersion === 'kubevirt.io/v1');
    if (!owner) return allowed(request);
    // virt-api reads the VMI from the API, not a cache: the pod may be created right after it.
    const vmi = await client.get<Vmi>(VMI_REF, request.namespace ?? pod.metadata.namespace, owner.name).catch(() => undefined);
    const compute = pod.spec?.containers?.find((c) => c.name === 'compute');
    if (!vmi || !compute) return allowed(request);
    const present = new Set(pod.spec.containers.map((c) => c.name));
    const added = sharedVolumes(vmi)
      .filter((volume) => !present.has(containerName(volume.name)))
      .flatMap((volume) => virtiofsContainer(deps, vmi, volume, pod, compute) ?? []);
    if (added.length === 0) return allowed(request);
    return jsonPatchResponse(
      allowed(request),
      added.map((container) => ({ op: 'add' as const, path: '/spec/containers/-', value: container as unknown as JsonValue })),
    );
  };
}

/** GetContainerPathVolumesWithFilesystems: the containerPath volumes a virtiofs filesystem shares. */
function sharedVolumes(vmi: Vmi): Array<{ name: string; containerPath: { path: string; readOnly?: boolean } }> {
  const filesystems = new Set((vmi.spec.domain.devices?.filesystems ?? []).filter((fs) => fs.virtiofs).map((fs) => fs.name));
  return (vmi.spec.volumes ?? []).flatMap((v) =>
    v.containerPath && filesystems.has(v.name) ? [{ name: v.name, containerPath: v.containerPath }] : [],
  );
}

/** The virtiofsd container serving one volume, or undefined where virt-api logs a warning and adds none. */
function virtiofsContainer(
  deps: AdmissionDeps,
  vmi: Vmi,
  volume: { name: string; containerPath: { path: string; readOnly?: boolean } },
  pod: Pod,
  compute: Container,
): Container | undefined {
  // Only a read-only share: the guest must not write into what another webhook mounted.
  if (volume.containerPath.readOnly !== true) return undefined;
  const found = mountFor(compute, volume.containerPath.path);
  if (!found) return undefined;
  const podVolume = (pod.spec.volumes as PodVolume[] | undefined)?.find((v) => v.name === found.mount.name);
  if (!podVolume || !SUPPORTED_POD_VOLUMES.some((kind) => podVolume[kind] !== undefined)) return undefined;
  // Served from a path of its own, so that a webhook mounting at the containerPath in this container too meets nothing.
  const sharedDir = `/virtiofs-data/${volume.name}`;
  const args = [
    `--socket-path=${SOCKETS_DIR}/${volume.name}.sock`,
    `--shared-dir=${sharedDir}`,
    '--sandbox=none',
    '--cache=auto',
    '--migration-on-error=guest-error',
    '--migration-mode=find-paths',
  ];
  // A projected service account token's symlinks belong to the pod's user (Kubernetes 1.36+): root in the guest must map to it.
  if (podVolume.projected?.sources?.some((source) => source.serviceAccountToken)) args.push(`--translate-uid=host:${NON_ROOT_UID}:0:1`);
  return {
    name: containerName(volume.name),
    image: compute.image,
    command: ['/usr/libexec/virtiofsd'],
    args,
    resources: virtiofsResources(deps, vmi),
    volumeMounts: [
      { name: SOCKETS_VOLUME, mountPath: SOCKETS_DIR },
      { name: found.mount.name, readOnly: true, mountPath: sharedDir, ...(found.subPath ? { subPath: found.subPath } : {}) },
    ],
    imagePullPolicy: 'IfNotPresent',
    securityContext: {
      capabilities: { drop: ['ALL'] },
      runAsUser: NON_ROOT_UID,
      runAsGroup: NON_ROOT_UID,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
    },
  };
}

/** FindVolumeMountForPath: the mount at the path, else the longest one the path lies under, with the rest as its subPath. */
function mountFor(container: Container, path: string): { mount: VolumeMount; subPath: string } | undefined {
  let best: VolumeMount | undefined;
  for (const mount of container.volumeMounts ?? []) {
    if (mount.mountPath === path) return { mount, subPath: '' };
    if (path.startsWith(`${mount.mountPath}/`) && mount.mountPath.length > (best?.mountPath.length ?? 0)) best = mount;
  }
  return best && { mount: best, subPath: path.slice(best.mountPath.length + 1) };
}

/**
 * ResourcesForVirtioFSContainer: KubeVirt's defaults or the KubeVirt CR's supportContainerResources for virtiofs; a VMI
 * with dedicated CPUs or that wants the Guaranteed QoS class gets requests equal to limits, as its compute container.
 */
function virtiofsResources(deps: AdmissionDeps, vmi: Vmi): Required<Resources> {
  const configured = deps.config().supportContainerResources('virtiofs');
  const nonZero = (value: string | undefined) => (value !== undefined && parseQuantity(value) !== 0 ? value : undefined);
  const limits = { cpu: nonZero(configured.limits?.cpu) ?? '100m', memory: nonZero(configured.limits?.memory) ?? '80M' };
  const dedicated = vmi.spec.domain.cpu?.dedicatedCpuPlacement === true;
  const guaranteed = dedicated || wantsGuaranteedQos(vmi.spec.domain.resources ?? {});
  const requests = {
    cpu: dedicated || guaranteed ? limits.cpu : (nonZero(configured.requests?.cpu) ?? '10m'),
    memory: guaranteed ? limits.memory : (nonZero(configured.requests?.memory) ?? '1M'),
  };
  return { limits, requests };
}

/** VirtualMachineInstance.WantsToHaveQOSGuaranteed: memory limited (and requested alike, if at all), cpu requested as limited. */
function wantsGuaranteedQos({ requests = {}, limits = {} }: Resources): boolean {
  const amount = (list: Record<string, string>, resource: string) => parseQuantity(list[resource] ?? '0');
  const memory =
    (amount(requests, 'memory') === 0 && amount(limits, 'memory') !== 0) ||
    (amount(requests, 'memory') !== 0 && amount(requests, 'memory') === amount(limits, 'memory'));
  return memory && amount(requests, 'cpu') !== 0 && amount(requests, 'cpu') === amount(limits, 'cpu');
}
