/**
 * The guest's view of its network: its NICs in the VMI's interface order
 * (eth0, eth1, ...), with the MAC the VMI status reports and the address the
 * guest's DHCP client gets. With masquerade binding the guest sits behind
 * virt-launcher's NAT at 10.0.2.2/24 (gateway 10.0.2.1) whatever the pod IP;
 * with bridge binding it gets the pod's own IP; a secondary network's address
 * is whatever the VMI status reports for it.
 */
import type { VirtualMachineInstance } from '../vmi-types.js';

export interface GuestInterface {
  name: string;
  mac: string;
  address?: string;
  prefixLength: number;
  gateway?: string;
}

const MASQUERADE_ADDRESS = '10.0.2.2';
const MASQUERADE_GATEWAY = '10.0.2.1';

/** The first address of a /24 (where the cluster's pod networks route from). */
const gatewayOf = (address: string): string => `${address.split('.').slice(0, 3).join('.')}.1`;

export function guestInterfaces(vmi: VirtualMachineInstance | undefined): GuestInterface[] {
  if (!vmi) return [];
  const statuses = vmi.status?.interfaces ?? [];
  return (vmi.spec?.domain?.devices?.interfaces ?? []).map((iface, index) => {
    const status = statuses.find((s) => s.name === iface.name);
    const mac = status?.mac ?? iface.macAddress ?? `52:54:00:00:00:${String(index).padStart(2, '0')}`;
    const reported = status?.ipAddresses?.find((ip) => ip.includes('.')) ?? status?.ipAddress;
    if (iface.masquerade !== undefined)
      return { name: `eth${index}`, mac, address: MASQUERADE_ADDRESS, prefixLength: 24, gateway: MASQUERADE_GATEWAY };
    if (!reported) return { name: `eth${index}`, mac, prefixLength: 24 };
    return { name: `eth${index}`, mac, address: reported, prefixLength: 24, ...(index === 0 ? { gateway: gatewayOf(reported) } : {}) };
  });
}
