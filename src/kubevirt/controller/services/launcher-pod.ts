/**
 * The virt-launcher pod of a VMI (pkg/virt-controller/services/template.go
 * RenderLaunchManifest), in the layout KubeVirt uses when containerDisks run
 * as containers: a `compute` container, one `volume<name>` container per
 * containerDisk, and the init containers that copy the container-disk binary
 * and pre-pull the disk images, plus the `guest-console-log` sidecar.
 */
import { createHash } from 'node:crypto';
import type { Container, Pod } from '../../../kube/pods.js';
import type { ClusterConfig } from '../cluster-config.js';
import {
  ANNOTATION_DOMAIN,
  ANNOTATION_LATEST_API,
  ANNOTATION_MEMORY_OVERHEAD,
  ANNOTATION_MIGRATION_TRANSPORT_UNIX,
  ANNOTATION_STORAGE_API,
  LABEL_APP,
  LABEL_CREATED_BY,
  LABEL_SCHEDULABLE,
  LABEL_VM_NAME,
  LABEL_VMI_ID,
  POD_CONDITION_UNPAUSED,
} from '../constants.js';
import { multusAnnotations, podResourceClaims } from './launcher-devices.js';
import { computeResources, memoryOverheadBytes } from './launcher-resources.js';
import type { VirtualMachineInstance, Volume } from '../types.js';
import { accessCredentialVolumes, cloudInitSecretVolumes, configVolume } from './launcher-config-volumes.js';

/** virtconfig.DefaultDiskVerificationMemoryLimitBytes. */
const DISK_VERIFICATION_MEMORY_LIMIT_BYTES = 2000 * 1024 * 1024;

const NON_ROOT_UID = 107;
const DEFAULT_GRACE_SECONDS = 30;
/** virt-launcher gets this much longer than the guest before it is killed; the pod again as much. */
const GRACE_PADDING_SECONDS = 15;
const QEMU_TIMEOUT_BASE_SECONDS = 240;
const QEMU_TIMEOUT_JITTER_SECONDS = 60;

const POD_VOLUMES = [
  'private',
  'public',
  'sockets',
  'virt-bin-share-dir',
  'libvirt-runtime',
  'ephemeral-disks',
  'container-disks',
  'hotplug-disks',
];

/** The pod hostname: spec.hostname, else the VMI name up to its first dot, at most 63 characters (dns.SanitizeHostname). */
export function launcherHostname(vmi: VirtualMachineInstance): string {
  if (vmi.spec.hostname) return vmi.spec.hostname;
  return (vmi.metadata.name ?? '').split('.')[0].slice(0, 63);
}

/** `vmi.kubevirt.io/id`: the VMI name, or for names over 63 characters 54 of them, a dash and 8 hex digits of its SHA-1. */
export function vmiIdLabel(name: string): string {
  if (name.length <= 63) return name;
  return `${name.slice(0, 54)}-${createHash('sha1').update(name).digest('hex').slice(0, 8)}`;
}

const graceSeconds = (vmi: VirtualMachineInstance): number => vmi.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;

const nonRootSecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  privileged: false,
  runAsGroup: NON_ROOT_UID,
  runAsNonRoot: true,
  runAsUser: NON_ROOT_UID,
};

/** Small helper containers (container-disk, init) request 1m/1M and are limited to 10m/40M. */
const helperResources = { requests: { cpu: '1m', memory: '1M', 'ephemeral-storage': '50M' }, limits: { cpu: '10m', memory: '40M' } };

const containerDiskDataDir = (vmi: VirtualMachineInstance): string =>
  `/var/run/kubevirt-ephemeral-disks/container-disk-data/${vmi.metadata.uid ?? ''}`;

const containerDisks = (vmi: VirtualMachineInstance): Volume[] => (vmi.spec.volumes ?? []).filter((v) => v.containerDisk);

function podAnnotations(vmi: VirtualMachineInstance): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(vmi.metadata.annotations ?? {})) {
    if (key.startsWith('kubectl.kubernetes.io/') || key === ANNOTATION_LATEST_API || key === ANNOTATION_STORAGE_API) continue;
    annotations[key] = value;
  }
  return {
    ...annotations,
    [ANNOTATION_DOMAIN]: vmi.metadata.name ?? '',
    'kubectl.kubernetes.io/default-container': 'compute',
    [ANNOTATION_MIGRATION_TRANSPORT_UNIX]: 'true',
    'descheduler.alpha.kubernetes.io/request-evict-only': '',
    [ANNOTATION_MEMORY_OVERHEAD]: String(memoryOverheadBytes(vmi.spec)),
    ...multusAnnotations(vmi),
  };
}

function podLabels(vmi: VirtualMachineInstance): Record<string, string> {
  return {
    ...(vmi.metadata.labels ?? {}),
    [LABEL_APP]: 'virt-launcher',
    [LABEL_CREATED_BY]: vmi.metadata.uid ?? '',
    [LABEL_VM_NAME]: launcherHostname(vmi),
    [LABEL_VMI_ID]: vmiIdLabel(vmi.metadata.name ?? ''),
  };
}

/** Scheduling constraints: KubeVirt-ready nodes of the VMI's architecture and machine type, then the cluster's and the VMI's own selectors. */
function nodeSelector(vmi: VirtualMachineInstance, config: ClusterConfig): Record<string, string> {
  const selector: Record<string, string> = { [LABEL_SCHEDULABLE]: 'true', 'kubernetes.io/arch': vmi.spec.architecture ?? 'amd64' };
  const machineType = (vmi.spec.domain.machine as { type?: string } | undefined)?.type;
  if (machineType) selector[`machine-type.node.kubevirt.io/${machineType}`] = 'true';
  const cpuModel = (vmi.spec.domain.cpu as { model?: string } | undefined)?.model;
  if (cpuModel && cpuModel !== 'host-model' && cpuModel !== 'host-passthrough') selector[`cpu-model.node.kubevirt.io/${cpuModel}`] = 'true';
  return { ...selector, ...config.nodeSelectors, ...(vmi.spec.nodeSelector ?? {}) };
}

function computeContainer(
  vmi: VirtualMachineInstance,
  config: ClusterConfig,
  qemuTimeoutSeconds: number,
  networkResources: Record<string, string>,
): Container {
  const ports = (vmi.spec.domain.devices?.interfaces ?? []).flatMap((i) => i.ports ?? []);
  const container: Container = {
    name: 'compute',
    image: config.launcherImage,
    imagePullPolicy: 'IfNotPresent',
    command: [
      '/usr/bin/virt-launcher-monitor',
      '--qemu-timeout',
      `${qemuTimeoutSeconds}s`,
      '--name',
      vmi.metadata.name ?? '',
      '--uid',
      vmi.metadata.uid ?? '',
      '--namespace',
      vmi.metadata.namespace ?? '',
      '--kubevirt-share-dir',
      '/var/run/kubevirt',
      '--ephemeral-disk-dir',
      '/var/run/kubevirt-ephemeral-disks',
      '--container-disk-dir',
      '/var/run/kubevirt/container-disks',
      '--grace-period-seconds',
      String(graceSeconds(vmi) + GRACE_PADDING_SECONDS),
      '--hook-sidecars',
      '0',
      '--ovmf-path',
      '/usr/share/OVMF',
      // v1.9's template.go: the disk verification memory limit (virtconfig's default, 2000 MiB) and the hypervisor (kvm).
      '--disk-memory-limit',
      String(DISK_VERIFICATION_MEMORY_LIMIT_BYTES),
      '--hypervisor',
      'kvm',
      '--run-as-nonroot',
    ],
    env: [
      { name: 'XDG_CACHE_HOME', value: '/var/run/kubevirt-private' },
      { name: 'XDG_CONFIG_HOME', value: '/var/run/kubevirt-private' },
      { name: 'XDG_RUNTIME_DIR', value: '/var/run' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    ],
    resources: computeResources(vmi.spec, config, networkResources),
    securityContext: { ...nonRootSecurityContext, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] } },
    volumeMounts: [
      { name: 'private', mountPath: '/var/run/kubevirt-private' },
      { name: 'public', mountPath: '/var/run/kubevirt' },
      { name: 'ephemeral-disks', mountPath: '/var/run/kubevirt-ephemeral-disks' },
      { name: 'container-disks', mountPath: '/var/run/kubevirt/container-disks', mountPropagation: 'HostToContainer' },
      { name: 'libvirt-runtime', mountPath: '/var/run/libvirt' },
      { name: 'sockets', mountPath: '/var/run/kubevirt/sockets' },
      { name: 'hotplug-disks', mountPath: '/var/run/kubevirt/hotplug-disks', mountPropagation: 'HostToContainer' },
    ],
  };
  if (ports.length)
    container.ports = ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.port, protocol: p.protocol ?? 'TCP' }));
  return container;
}

function containerDiskContainer(vmi: VirtualMachineInstance, volume: Volume, index: number): Container {
  return {
    name: `volume${volume.name}`,
    image: volume.containerDisk!.image,
    imagePullPolicy: volume.containerDisk!.imagePullPolicy ?? 'IfNotPresent',
    command: ['/usr/bin/container-disk'],
    args: ['--copy-path', `${containerDiskDataDir(vmi)}/disk_${index}`],
    resources: helperResources,
    securityContext: nonRootSecurityContext,
    volumeMounts: [
      { name: 'container-disks', mountPath: containerDiskDataDir(vmi) },
      { name: 'virt-bin-share-dir', mountPath: '/usr/bin' },
    ],
  };
}

function initContainers(vmi: VirtualMachineInstance, config: ClusterConfig): Container[] {
  const inits: Container[] = [];
  if (vmi.spec.domain.devices?.autoattachSerialConsole !== false) {
    inits.push({
      name: 'guest-console-log',
      image: config.launcherImage,
      imagePullPolicy: 'IfNotPresent',
      command: ['/usr/bin/virt-tail'],
      args: ['--logfile', `/var/run/kubevirt-private/${vmi.metadata.uid ?? ''}/virt-serial0-log`],
      restartPolicy: 'Always',
      resources: { requests: { cpu: '5m', memory: '35M' }, limits: { cpu: '15m', memory: '60M' } },
      securityContext: nonRootSecurityContext,
      volumeMounts: [{ name: 'private', mountPath: '/var/run/kubevirt-private', readOnly: true }],
    });
  }
  const disks = containerDisks(vmi);
  if (disks.length === 0) return inits;
  inits.push({
    name: 'container-disk-binary',
    image: config.launcherImage,
    imagePullPolicy: 'IfNotPresent',
    command: ['/usr/bin/cp'],
    args: ['--preserve=all', '/usr/bin/container-disk', '/init/usr/bin/container-disk'],
    resources: helperResources,
    securityContext: nonRootSecurityContext,
    volumeMounts: [{ name: 'virt-bin-share-dir', mountPath: '/init/usr/bin' }],
  });
  for (const volume of disks) {
    inits.push({
      name: `volume${volume.name}-init`,
      image: volume.containerDisk!.image,
      imagePullPolicy: volume.containerDisk!.imagePullPolicy ?? 'IfNotPresent',
      command: ['/container-disk-binary/usr/bin/container-disk'],
      args: ['--no-op'],
      resources: helperResources,
      securityContext: nonRootSecurityContext,
      volumeMounts: [{ name: 'virt-bin-share-dir', mountPath: '/container-disk-binary' }],
    });
  }
  return inits;
}

function podVolumes(vmi: VirtualMachineInstance): Array<Record<string, unknown>> {
  const volumes: Array<Record<string, unknown>> = POD_VOLUMES.map((name) => ({ name, emptyDir: {} }));
  for (const volume of vmi.spec.volumes ?? []) {
    const config = configVolume(volume);
    if (config) volumes.push(config);
  }
  for (const volume of vmi.spec.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName ?? volume.dataVolume?.name;
    if (claimName)
      volumes.push({
        name: volume.name,
        persistentVolumeClaim: { claimName, ...(volume.persistentVolumeClaim?.readOnly ? { readOnly: true } : {}) },
      });
    volumes.push(...cloudInitSecretVolumes(volume));
  }
  return [...volumes, ...accessCredentialVolumes(vmi)];
}

/** Copies the VMI's scheduling fields that the pod takes over verbatim. */
function copiedSchedulingFields(vmi: VirtualMachineInstance): Record<string, unknown> {
  const copied: Record<string, unknown> = {};
  for (const field of [
    'subdomain',
    'dnsPolicy',
    'dnsConfig',
    'schedulerName',
    'tolerations',
    'topologySpreadConstraints',
    'priorityClassName',
    'affinity',
  ]) {
    if (vmi.spec[field] !== undefined) copied[field] = vmi.spec[field];
  }
  return copied;
}

/**
 * The pod to create for `vmi`; `qemuTimeoutJitter` in [0, 1) spreads
 * virt-launcher's QEMU timeout as KubeVirt's random jitter does;
 * `networkResources` maps secondary networks to their device resources.
 */
export function renderLauncherPod(
  vmi: VirtualMachineInstance,
  config: ClusterConfig,
  qemuTimeoutJitter: number,
  networkResources: Record<string, string> = {},
): Pod {
  const qemuTimeout = QEMU_TIMEOUT_BASE_SECONDS + Math.floor(qemuTimeoutJitter * QEMU_TIMEOUT_JITTER_SECONDS);
  const serviceAccountVolume = (vmi.spec.volumes ?? []).find((v) => v.serviceAccount) as
    | { serviceAccount?: { serviceAccountName?: string } }
    | undefined;
  const spec: Pod['spec'] = {
    hostname: launcherHostname(vmi),
    ...copiedSchedulingFields(vmi),
    securityContext: { fsGroup: NON_ROOT_UID, runAsGroup: NON_ROOT_UID, runAsNonRoot: true, runAsUser: NON_ROOT_UID },
    terminationGracePeriodSeconds: graceSeconds(vmi) + 2 * GRACE_PADDING_SECONDS,
    restartPolicy: 'Never',
    initContainers: initContainers(vmi, config),
    containers: [
      computeContainer(vmi, config, qemuTimeout, networkResources),
      ...containerDisks(vmi).map((v, i) => containerDiskContainer(vmi, v, i)),
    ],
    nodeSelector: nodeSelector(vmi, config),
    volumes: podVolumes(vmi),
    readinessGates: [{ conditionType: POD_CONDITION_UNPAUSED }],
    enableServiceLinks: false,
    automountServiceAccountToken: serviceAccountVolume !== undefined,
  };
  if (serviceAccountVolume?.serviceAccount?.serviceAccountName)
    spec.serviceAccountName = serviceAccountVolume.serviceAccount.serviceAccountName;
  if (spec.initContainers?.length === 0) delete spec.initContainers;
  const resourceClaims = podResourceClaims(vmi.spec);
  if (resourceClaims) spec.resourceClaims = resourceClaims;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `virt-launcher-${vmi.metadata.name ?? ''}-`,
      namespace: vmi.metadata.namespace,
      labels: podLabels(vmi),
      annotations: podAnnotations(vmi),
      ownerReferences: [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstance',
          name: vmi.metadata.name ?? '',
          uid: vmi.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}
