/**
 * The `compute` container's resources (pkg/virt-controller/services/
 * renderresources.go and the KVM backend's GetMemoryOverhead): guest memory
 * plus the launcher's own overhead, a tenth of a CPU per vCPU, 50M of
 * ephemeral storage, the KubeVirt device-plugin resources the scheduler
 * must find on a node (kvm, tun, vhost-net), and those of the VMI's own
 * devices and networks.
 */
import { formatQuantity, parseQuantity } from '../../../kube/quantity.js';
import type { ClusterConfig } from '../cluster-config.js';
import { containerClaims, deviceResourceCounts } from './launcher-devices.js';
import type { VmiSpec } from '../types.js';

const Mi = 2 ** 20;
/** virt-launcher-monitor 25, virt-launcher 100, virtlogd 25, virtqemud 40, qemu 30. */
const FIXED_LAUNCHER_OVERHEAD = 220 * Mi;
const PER_VCPU_OVERHEAD = 8 * Mi;
const IOTHREAD_OVERHEAD = 8 * Mi;
const VIDEO_OVERHEAD = 32 * Mi;
const EPHEMERAL_STORAGE_OVERHEAD = 50_000_000;

export const KVM_RESOURCE = 'devices.kubevirt.io/kvm';
export const TUN_RESOURCE = 'devices.kubevirt.io/tun';
export const VHOST_NET_RESOURCE = 'devices.kubevirt.io/vhost-net';

/** sockets × cores × threads, each defaulting to 1 (calcVCPUs). */
export function vcpuCount(spec: VmiSpec): number {
  const cpu = spec.domain.cpu;
  if (!cpu) return 1;
  return (cpu.sockets || 1) * (cpu.cores || 1) * (cpu.threads || 1);
}

/**
 * Memory the launcher needs beside the guest, in bytes. The page-table share
 * reads `resources.requests.memory` (not memory.guest), as KubeVirt does, so
 * it is 0 for a VMI that only sets memory.guest.
 */
export function memoryOverheadBytes(spec: VmiSpec): number {
  const requested = spec.domain.resources?.requests?.memory;
  const pageTables = requested ? Math.floor(parseQuantity(requested) / 512) : 0;
  const video = spec.domain.devices?.autoattachGraphicsDevice === false ? 0 : VIDEO_OVERHEAD;
  return pageTables + FIXED_LAUNCHER_OVERHEAD + PER_VCPU_OVERHEAD * vcpuCount(spec) + IOTHREAD_OVERHEAD + video;
}

const hasInterfaces = (spec: VmiSpec): boolean => (spec.domain.devices?.interfaces?.length ?? 0) > 0;

/** The guest's memory request before overhead: its own request, else its limit, else memory.guest (scaled by overcommit) or the hugepage size. */
function guestMemoryRequest(spec: VmiSpec, overcommit: number): number | undefined {
  const resources = spec.domain.resources ?? {};
  const request = resources.requests?.memory ?? resources.limits?.memory;
  if (request !== undefined) return parseQuantity(request);
  const memory = spec.domain.memory;
  const guest = memory?.guest ?? memory?.hugepages?.pageSize;
  if (guest === undefined || parseQuantity(guest) <= 0) return undefined;
  return memory?.guest ? Math.floor((parseQuantity(guest) * 100) / overcommit) : parseQuantity(guest);
}

export interface ComputeResources {
  requests: Record<string, string>;
  limits: Record<string, string>;
  claims?: Array<{ name: string; request?: string }>;
}

/** `networkResources`: the device-plugin resource behind each secondary network (network name → resource), when KubeVirt reads them itself. */
export function computeResources(spec: VmiSpec, config: ClusterConfig, networkResources: Record<string, string> = {}): ComputeResources {
  const own = spec.domain.resources ?? {};
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = { ...(own.limits ?? {}) };
  const overhead = memoryOverheadBytes(spec);

  if (!own.requests?.cpu) requests.cpu = formatQuantity('cpu', Math.ceil((vcpuCount(spec) * 1000) / config.cpuAllocationRatio));
  Object.assign(requests, own.requests ?? {});

  const guest = guestMemoryRequest(spec, config.memoryOvercommit) ?? 0;
  requests.memory = formatQuantity('memory', guest + (own.overcommitGuestOverhead ? 0 : overhead));
  if (own.limits?.memory) limits.memory = formatQuantity('memory', parseQuantity(own.limits.memory) + overhead);

  const ephemeral = own.requests?.['ephemeral-storage'];
  requests['ephemeral-storage'] = formatQuantity(
    'ephemeral-storage',
    (ephemeral ? parseQuantity(ephemeral) : 0) + EPHEMERAL_STORAGE_OVERHEAD,
  );
  if (own.limits?.['ephemeral-storage'])
    limits['ephemeral-storage'] = formatQuantity(
      'ephemeral-storage',
      parseQuantity(own.limits['ephemeral-storage']) + EPHEMERAL_STORAGE_OVERHEAD,
    );

  if (!config.useEmulation) limits[KVM_RESOURCE] = '1';
  if (hasInterfaces(spec) || spec.domain.devices?.autoattachPodInterface !== false) limits[TUN_RESOURCE] = '1';
  const wantsVhostNet = (spec.domain.devices?.interfaces ?? []).some(
    (i) => i.model === undefined || i.model === '' || i.model === 'virtio',
  );
  if (wantsVhostNet && !config.useEmulation) limits[VHOST_NET_RESOURCE] = '1';
  // requestResource: a device counts in both requests and limits.
  for (const [resource, count] of Object.entries(deviceResourceCounts(spec, networkResources)))
    requests[resource] = limits[resource] = String(count);
  const claims = containerClaims(spec);
  return claims.length ? { requests, limits, claims } : { requests, limits };
}
