/**
 * Builds the guest of a new domain: the machine with the image's own
 * accounts at once, then cloud-init's and accessCredentials' once their
 * Secrets are read. On a cluster the kubelet mounts those Secrets into the
 * launcher pod (virt-controller renders them as its volumes), where
 * virt-launcher reads them: so they are read as the kubelet of the VMI's node,
 * which kube's Node authorizer allows through that pod and nothing else. The
 * machine looks up its VMI and the cluster's addresses in the handler's
 * informers when asked. */
import { generateUid } from '../../../api/registry/names.js';
import type { KubeObject } from '../../../api/types.js';
import type { Pod } from '../../../kube/pods.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { Informer } from '../../../runtime/informer.js';
import type { GuestOS } from '../guest-os.js';
import type { VirtualMachineInstance } from '../vmi-types.js';
import { guestAccounts, secretNamesOf } from './accounts.js';
import { GuestMachine } from './machine.js';

const SECRET_REF = { apiVersion: 'v1', kind: 'Secret' };

type Secret = KubeObject & { data?: Record<string, string> };

/** A Secret's values as text (the API server keeps them in `data`, a write's `stringData` merged in). */
const decoded = (secret: Secret): Record<string, string> =>
  Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));

/** What the domain gives its guest: the power button from inside. */
export interface DomainPower {
  powerOff(): void;
  reboot(): void;
}

export type MachineFactory = (vmi: VirtualMachineInstance, guest: GuestOS, power: DomainPower) => GuestMachine;

export interface MachineFactoryDeps {
  ctx: ComponentContext;
  vmis: Informer<VirtualMachineInstance>;
  /** Every pod of the cluster (their IPs answer pings). */
  pods: Informer<Pod>;
}

export function machineFactory({ ctx, vmis, pods }: MachineFactoryDeps): MachineFactory {
  const reachable = (address: string): boolean =>
    pods.list().some((pod) => pod.status?.podIP === address || pod.status?.podIPs?.some((ip) => ip.ip === address)) ||
    vmis.list().some((vmi) => vmi.status?.interfaces?.some((i) => i.ipAddress === address || i.ipAddresses?.includes(address)));
  return (vmi, guest, power) => {
    const namespace = vmi.metadata.namespace ?? '';
    const name = vmi.metadata.name ?? '';
    const uid = vmi.metadata.uid;
    const current = (): VirtualMachineInstance | undefined => {
      const latest = vmis.getByName(namespace, name);
      return latest?.metadata.uid === uid ? latest : undefined;
    };
    const hooks = { ...power, reachable, vmi: current, newBootId: () => generateUid(ctx.random) };
    const machine = new GuestMachine(guest, ctx.clock, hooks, guestAccounts(vmi, guest, new Map()));
    const secretNames = secretNamesOf(vmi);
    if (secretNames.length > 0) {
      const node = vmi.status?.nodeName;
      const client = (node && ctx.clientFor?.({ component: 'kubelet', node })) || ctx.client;
      void Promise.all(secretNames.map((secretName) => client.get<Secret>(SECRET_REF, namespace, secretName).catch(() => undefined))).then(
        (read) => {
          const secrets = new Map<string, Record<string, string>>();
          for (const secret of read) if (secret) secrets.set(secret.metadata.name ?? '', decoded(secret));
          machine.configure(guestAccounts(vmi, guest, secrets));
        },
      );
    }
    return machine;
  };
}
