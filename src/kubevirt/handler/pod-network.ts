/**
 * The pod links virt-handler's network setup needs before it defines the
 * domain (pkg/network/setup/netpod, discover): every bridge, masquerade or
 * passt interface plugs into its network's interface inside the launcher pod,
 * and setup fails with "pod link (<name>) is missing" when there is none.
 *
 * The cluster network always gives the pod eth0. A Multus secondary network's
 * link (`pod<hash>`) exists only once Multus attached it, which Multus records
 * in the pod's network-status annotation; the emulator has no Multus, so that
 * annotation is the one way to say a secondary link exists (a user or
 * scenario may write it). SR-IOV and binding-plugin interfaces need no pod
 * link: virt-launcher attaches SR-IOV VFs as host devices, and only those
 * Multus reported.
 */
import type { Pod } from '../../kube/pods.js';
import { secondaryPodInterfaceName } from '../controller/services/launcher-devices.js';
import type { VirtualMachineInstance, VmiInterface, VmiNetwork } from './vmi-types.js';

/** Written by Multus: the networks it attached, each with the pod interface it created. */
export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';
const PRIMARY_POD_INTERFACE = 'eth0';

/** The pod interface a VMI network plugs into (the hashed naming scheme for secondaries). */
export function podInterfaceName(network: VmiNetwork): string {
  if (network.pod !== undefined || network.multus?.default) return PRIMARY_POD_INTERFACE;
  return secondaryPodInterfaceName(network.name);
}

/** The interfaces Multus reports attached to the pod (none without the annotation or when it is unreadable). */
export function multusAttachedInterfaces(pod: Pod | undefined): Set<string> {
  const attached = new Set<string>();
  const annotation = pod?.metadata.annotations?.[NETWORK_STATUS_ANNOTATION];
  if (!annotation) return attached;
  let entries: unknown;
  try {
    entries = JSON.parse(annotation);
  } catch {
    return attached;
  }
  if (!Array.isArray(entries)) return attached;
  for (const entry of entries as unknown[]) {
    const name = (entry as { interface?: unknown } | null)?.interface;
    if (typeof name === 'string') attached.add(name);
  }
  return attached;
}

/** The pod's network links: eth0 from the cluster network, plus what Multus attached. */
export const podLinks = (pod: Pod | undefined): Set<string> => multusAttachedInterfaces(pod).add(PRIMARY_POD_INTERFACE);

const needsPodLink = (iface: VmiInterface): boolean =>
  iface.state !== 'absent' && (iface.bridge !== undefined || iface.masquerade !== undefined || iface.passtBinding !== undefined);

/**
 * The error virt-handler's start flow reports (vm.go: "failed to configure
 * vmi network", NetConf.Setup: "setup failed, err: ") for the first
 * interface, in spec order, whose pod link is missing; undefined when every
 * link is there.
 */
export function missingPodLinkError(vmi: VirtualMachineInstance, links: ReadonlySet<string>): string | undefined {
  const networks = vmi.spec?.networks ?? [];
  for (const iface of vmi.spec?.domain?.devices?.interfaces ?? []) {
    const network = networks.find((n) => n.name === iface.name);
    if (!network || !needsPodLink(iface)) continue;
    const link = podInterfaceName(network);
    if (!links.has(link)) return `failed to configure vmi network: setup failed, err: pod link (${link}) is missing`;
  }
  return undefined;
}
