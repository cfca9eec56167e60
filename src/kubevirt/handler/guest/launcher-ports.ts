/**
 * What `kubectl port-forward` to a virt-launcher pod reaches: the kubelet
 * dials localhost:<port> in the pod, and KubeVirt's masquerade binding has
 * nftables rules that carry that traffic to the guest, for the pod network
 * interface's declared `ports` or, with none declared, for every port
 * (kubevirt/kubevirt#5431). With bridge or other bindings the guest holds the
 * pod's address itself, so nothing listens on the pod's localhost.
 */
import type { PodPortServer } from '../../../api/extension-points.js';
import type { KubeObject } from '../../../api/types.js';
import type { PodPortListener } from '../../../runtime/pod-ports.js';
import type { Domain } from '../domains.js';
import { CREATED_BY_LABEL, type VirtualMachineInstance } from '../vmi-types.js';

/** The pod network's interface, if it uses masquerade: its declared ports (empty: all). */
function masqueradePorts(vmi: VirtualMachineInstance): number[] | undefined {
  const podNetwork = vmi.spec?.networks?.find((network) => network.pod !== undefined);
  const iface = vmi.spec?.domain?.devices?.interfaces?.find((i) => i.name === podNetwork?.name);
  if (iface?.masquerade === undefined) return undefined;
  return ((iface.ports as Array<{ port?: number }> | undefined) ?? []).map((p) => Number(p.port));
}

export function launcherPortListener(
  domainOf: (vmiUid: string) => Domain | undefined,
  vmiOf: (domain: Domain) => VirtualMachineInstance | undefined,
): PodPortListener {
  return (pod: KubeObject, port: number): PodPortServer | undefined => {
    const domain = domainOf(pod.metadata.labels?.[CREATED_BY_LABEL] ?? '');
    if (!domain?.machine || domain.podUid !== pod.metadata.uid || domain.state !== 'Running') return undefined;
    const vmi = vmiOf(domain);
    const ports = vmi && masqueradePorts(vmi);
    if (!ports || (ports.length > 0 && !ports.includes(port))) return undefined;
    return domain.machine.connect(port);
  };
}
