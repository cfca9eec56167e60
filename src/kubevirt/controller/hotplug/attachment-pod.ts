/**
 * The hotplug attachment pod (pkg/virt-controller/services/template.go RenderHotplugAttachmentPodTemplate of KubeVirt
 * v1.9): `hp-volume-<random>`, controlled by the VMI's virt-launcher pod, pinned to its node, mounting every ready
 * hotplug volume's claim so the kubelet attaches it to the node; virt-handler then hands the disk to the launcher.
 */
import type { Pod } from '../../../kube/pods.js';
import type { PersistentVolumeClaim } from '../../../kube/volumes.js';
import { LABEL_APP } from '../constants.js';
import type { VirtualMachineInstance, Volume } from '../types.js';
import { claimNameOf } from './volumes.js';

export const ATTACHMENT_POD_LABEL = 'hotplug-disk';
export const ATTACHMENT_SELECTOR = `${LABEL_APP}=${ATTACHMENT_POD_LABEL}`;
const HOTPLUG_DISKS = 'hotplug-disks';
const NON_ROOT_UID = 107;

type Toleration = { key?: string; operator?: string; effect?: string; value?: string; tolerationSeconds?: number };

/** hotplugPodTolerations: the node conditions an attachment pod must survive, as its launcher does. */
const HOTPLUG_TOLERATIONS: Toleration[] = [
  'node.kubernetes.io/unschedulable',
  'node.kubernetes.io/network-unavailable',
  'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/pid-pressure',
].map((key) => ({ key, operator: 'Exists', effect: 'NoSchedule' }));

/** Sorted by key, adjacent duplicates dropped (sort.Slice + slices.Compact). */
function tolerationsFor(owner: Pod): Toleration[] {
  const all = [...HOTPLUG_TOLERATIONS, ...((owner.spec.tolerations ?? []) as Toleration[])];
  const sorted = all.map((t, i) => ({ t, i })).sort((a, b) => (a.t.key ?? '').localeCompare(b.t.key ?? '') || a.i - b.i);
  return sorted.map(({ t }) => t).filter((t, i, list) => i === 0 || JSON.stringify(t) !== JSON.stringify(list[i - 1]));
}

export function renderAttachmentPod(
  vmi: VirtualMachineInstance,
  owner: Pod,
  volumes: readonly Volume[],
  claims: (name: string) => PersistentVolumeClaim | undefined,
  launcherImage: string,
): Pod {
  const mounted = new Set(
    (vmi.status?.volumeStatus ?? [])
      .filter((s) => s.hotplugVolume && (s.phase === 'Ready' || s.phase === 'MountedToPod'))
      .map((s) => s.name),
  );
  const podVolumes: Array<Record<string, unknown>> = [{ name: HOTPLUG_DISKS, emptyDir: {} }];
  const volumeMounts: Array<{ name: string; mountPath: string; mountPropagation?: string }> = [
    { name: HOTPLUG_DISKS, mountPath: '/path', mountPropagation: 'HostToContainer' },
  ];
  const volumeDevices: Array<Record<string, unknown>> = [];
  for (const volume of volumes) {
    const claimName = claimNameOf(volume);
    if (!claimName) continue;
    podVolumes.push({ name: volume.name, persistentVolumeClaim: { claimName } });
    const claim = claims(claimName);
    if (!claim) continue;
    if (claim.spec?.volumeMode === 'Block')
      volumeDevices.push({ name: volume.name, devicePath: `/path/${volume.name}/${claim.metadata.uid ?? ''}` });
    else if (!mounted.has(volume.name)) volumeMounts.push({ name: volume.name, mountPath: `/${volume.name}` });
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'hp-volume-',
      namespace: owner.metadata.namespace,
      labels: { [LABEL_APP]: ATTACHMENT_POD_LABEL },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          name: owner.metadata.name ?? '',
          uid: owner.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: [
        {
          name: ATTACHMENT_POD_LABEL,
          image: launcherImage,
          command: ['/bin/sh', '-c', '/usr/bin/container-disk --copy-path /path/hp'],
          resources: { limits: { cpu: '100m', memory: '80M' }, requests: { cpu: '10m', memory: '2M' } },
          securityContext: {
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            runAsUser: NON_ROOT_UID,
            seccompProfile: { type: 'RuntimeDefault' },
            capabilities: { drop: ['ALL'] },
            seLinuxOptions: { level: 's0' },
          },
          volumeMounts,
          ...(volumeDevices.length ? { volumeDevices } : {}),
        },
      ],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [owner.spec.nodeName ?? ''] }] },
            ],
          },
        },
      },
      tolerations: tolerationsFor(owner),
      volumes: podVolumes,
      terminationGracePeriodSeconds: 0,
    },
  } as Pod;
}

/**
 * podVolumesMatchesReadyVolumes: the pod mounts exactly these volumes' claims (KubeVirt counts all volumes less the
 * emptyDir and the ServiceAccount token volume; counting the claims is the same without relying on the token volume).
 */
export function podMatchesVolumes(pod: Pod, volumes: readonly Volume[]): boolean {
  const claimed = new Set(
    ((pod.spec.volumes ?? []) as Array<{ name: string; persistentVolumeClaim?: unknown }>)
      .filter((v) => v.persistentVolumeClaim)
      .map((v) => v.name),
  );
  if (claimed.size !== volumes.length) return false;
  for (const volume of volumes) claimed.delete(volume.name);
  return claimed.size === 0;
}
