/**
 * What the launcher pod asks for on behalf of the VMI's devices and
 * secondary networks (renderresources.go, pkg/network/multus): device-plugin
 * resources of GPUs and host devices, DRA resource claims, the resources
 * behind Multus networks (from their NetworkAttachmentDefinitions), and the
 * Multus annotations that attach the networks to the pod.
 */
import { createHash } from 'node:crypto';
import type { VmiSpec, VirtualMachineInstance } from '../types.js';

/** A GPU or host device: from a device plugin (deviceName) or from a DRA claim (claimName + requestName). */
interface Device {
  name: string;
  deviceName?: string;
  claimName?: string;
  requestName?: string;
}

interface MultusNetwork {
  name: string;
  multus?: { networkName: string; default?: boolean };
}

export const NAD_REF = { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition' };
/** The NetworkAttachmentDefinition annotation naming the device-plugin resource behind the network (SR-IOV). */
export const NAD_RESOURCE_ANNOTATION = 'k8s.v1.cni.cncf.io/resourceName';
const MULTUS_NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
const MULTUS_DEFAULT_NETWORK_ANNOTATION = 'v1.multus-cni.io/default-network';

const devicesOf = (spec: VmiSpec): Device[] => [
  ...((spec.domain.devices?.gpus as Device[] | undefined) ?? []),
  ...((spec.domain.devices?.hostDevices as Device[] | undefined) ?? []),
];

const multusNetworks = (spec: VmiSpec): MultusNetwork[] => ((spec.networks ?? []) as MultusNetwork[]).filter((n) => n.multus?.networkName);

/** Multus networks other than a default one: the secondary interfaces of the pod. */
const secondaryNetworks = (spec: VmiSpec): MultusNetwork[] => multusNetworks(spec).filter((n) => !n.multus?.default);

/** `namespace/name` of a network's NetworkAttachmentDefinition; a bare name lives in the VMI's namespace. */
export function nadNamespacedName(vmiNamespace: string, networkName: string): { namespace: string; name: string } {
  const slash = networkName.indexOf('/');
  return slash >= 0
    ? { namespace: networkName.slice(0, slash), name: networkName.slice(slash + 1) }
    : { namespace: vmiNamespace, name: networkName };
}

/** The NetworkAttachmentDefinitions the VMI controller reads before rendering the pod (when resources are not injected externally). */
export const multusNetworkNames = (spec: VmiSpec): Array<{ network: string; nad: string }> =>
  multusNetworks(spec).map((n) => ({ network: n.name, nad: n.multus?.networkName ?? '' }));

/**
 * Extended resources the compute container requests, one per device and
 * per network whose NetworkAttachmentDefinition names a resource
 * (`networkResources`: network name → resource name). The scheduler only
 * places the pod on a node whose device plugins offer them all.
 */
export function deviceResourceCounts(spec: VmiSpec, networkResources: Record<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  const request = (resource: string): void => {
    counts[resource] = (counts[resource] ?? 0) + 1;
  };
  for (const device of devicesOf(spec)) if (device.deviceName && !device.claimName) request(device.deviceName);
  for (const resource of Object.values(networkResources)) if (resource) request(resource);
  return counts;
}

/** The compute container's `resources.claims`: one per device taken from a DRA claim. */
export function containerClaims(spec: VmiSpec): Array<{ name: string; request?: string }> {
  return devicesOf(spec)
    .filter((device) => !device.deviceName && device.claimName)
    .map((device) => ({ name: device.claimName ?? '', ...(device.requestName ? { request: device.requestName } : {}) }));
}

/** The pod's `spec.resourceClaims`, copied from the VMI (drautil.ToPodResourceClaims). */
export function podResourceClaims(spec: VmiSpec): Array<Record<string, string>> | undefined {
  const claims = spec.resourceClaims as Array<{ name: string; resourceClaimName?: string; resourceClaimTemplateName?: string }> | undefined;
  if (!claims?.length) return undefined;
  return claims.map((c) => ({
    name: c.name,
    ...(c.resourceClaimName ? { resourceClaimName: c.resourceClaimName } : {}),
    ...(c.resourceClaimTemplateName ? { resourceClaimTemplateName: c.resourceClaimTemplateName } : {}),
  }));
}

/** The pod interface of a secondary network: `pod` + 11 hex digits of the SHA-256 of the network name (the hashed naming scheme). */
export const secondaryPodInterfaceName = (network: string): string =>
  `pod${createHash('sha256').update(network).digest('hex').slice(0, 11)}`;

/** The Multus annotations of the launcher pod: the secondary networks to attach, and a replacement default network if one is set. */
export function multusAnnotations(vmi: VirtualMachineInstance): Record<string, string> {
  const namespace = vmi.metadata.namespace ?? '';
  const annotations: Record<string, string> = {};
  const secondary = secondaryNetworks(vmi.spec).map((n) => {
    const nad = nadNamespacedName(namespace, n.multus?.networkName ?? '');
    return { name: nad.name, namespace: nad.namespace, interface: secondaryPodInterfaceName(n.name) };
  });
  if (secondary.length) annotations[MULTUS_NETWORKS_ANNOTATION] = JSON.stringify(secondary);
  const defaultNetwork = multusNetworks(vmi.spec).find((n) => n.multus?.default);
  if (defaultNetwork) annotations[MULTUS_DEFAULT_NETWORK_ANNOTATION] = defaultNetwork.multus?.networkName ?? '';
  return annotations;
}
