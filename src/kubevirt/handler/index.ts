/**
 * The simulated virt-handler: one node agent per Node, running while the
 * virt-handler DaemonSet's pod on that node is Running, and the domains
 * (libvirt + QEMU of every virt-launcher pod) it drives.
 *
 * - `virtHandlerComponents(ctx)`: the components to run (once per cluster).
 * - `handlerCommands(ctx | clock)`: what virt-api's subresources call on the
 *   handler of the VMI's node (in KubeVirt a REST call from virt-api to the
 *   handler): pause, unpause, softReboot, reset. They throw a StatusError
 *   500 when the VMI has no running domain or the node's handler is down.
 * - `handlerFaults(ctx | clock)`: fault injection into guests: crashGuest,
 *   failBoot (the VMI's next boot fails), powerOffGuest,
 *   disconnectGuestAgent, connectGuestAgent, failNextMigration, stallNextMigration.
 * Both are keyed by the cluster's Clock, as nodeFaults is, and available once
 * virtHandlerComponents(ctx) was called.
 */
import { internalError, notFound } from '../../api/errors.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { registerContainerLogSource } from '../../simulation/container-log-sources.js';
import { NODE_REF, type Node } from '../../kube/nodes.js';
import { POD_REF, type Pod } from '../../kube/pods.js';
import type { Clock } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import { DomainRegistry, type Domain } from './domains.js';
import { HandlerAgents } from './handler-agents.js';
import type { GuestMachine } from './guest/machine.js';
import { launcherPortListener } from './guest/launcher-ports.js';
import { machineFactory } from './guest/machines.js';
import { launcherLogSource } from './launcher-logs.js';
import { BY_VMI_UID } from './vmi-sync.js';
import {
  CREATED_BY_LABEL,
  HANDLER_POD_SELECTOR,
  KUBEVIRT_NAMESPACE,
  LAUNCHER_POD_SELECTOR,
  VMI_REF,
  vmiKey,
  type VirtualMachineInstance,
} from './vmi-types.js';

export { GUEST_AGENT_ANNOTATION } from './vmi-types.js';
export type { GuestMachine } from './guest/machine.js';

export interface HandlerCommands {
  /** virtualmachineinstances/pause: suspends the domain; the VMI gets Paused=True (PausedByUser). */
  pause(namespace: string, name: string): Promise<void>;
  /** virtualmachineinstances/unpause: resumes the domain; the Paused condition goes. */
  unpause(namespace: string, name: string): Promise<void>;
  /** virtualmachineinstances/softreboot: the guest reboots (its agent reconnects once it is up). */
  softReboot(namespace: string, name: string): Promise<void>;
  /** virtualmachineinstances/reset: a hard reset; for the simulated guest the same as a reboot. */
  reset(namespace: string, name: string): Promise<void>;
  /**
   * The running guest of the VMI, for virt-api's console and port-forward streams and the guest-agent
   * GETs (in KubeVirt the handler proxies them to the launcher's serial socket, the pod network and qemu-ga).
   */
  guest(namespace: string, name: string): Promise<GuestMachine>;
}

export interface HandlerFaults {
  /** The guest crashes (kernel panic, QEMU dies): VMI Failed, Warning Stopped "The VirtualMachineInstance crashed.". */
  crashGuest(namespace: string, name: string): Promise<void>;
  /** The VMI's next domain start fails: Warning SyncFailed, Synchronized=False, then VMI Failed. */
  failBoot(namespace: string, name: string): Promise<void>;
  /** `poweroff` inside the guest: VMI Succeeded. */
  powerOffGuest(namespace: string, name: string): Promise<void>;
  /** The guest agent stops answering: AgentConnected goes, guestOSInfo empties. */
  disconnectGuestAgent(namespace: string, name: string): Promise<void>;
  connectGuestAgent(namespace: string, name: string): Promise<void>;
  /**
   * The VMI's next live migration fails while Running, on the target (QEMU
   * there gives up on the stream): VMIM Failed, migrationState.failed, the
   * VMI stays on its source node.
   */
  failNextMigration(namespace: string, vmiName: string): Promise<void>;
  /**
   * The VMI's next live migration never converges (as a guest dirtying memory faster than the link): it stays
   * Running until aborted (the VMIM deleted, as virtctl migrate-cancel does).
   */
  stallNextMigration(namespace: string, vmiName: string): Promise<void>;
}

interface HandlerCluster {
  commands: HandlerCommands;
  faults: HandlerFaults;
}

const clusters = new WeakMap<Clock, HandlerCluster>();

function lookup(owner: ComponentContext | Clock): HandlerCluster {
  const cluster = clusters.get('clock' in owner ? owner.clock : owner);
  if (!cluster) throw new Error('virt-handler: no handler components were created for this cluster');
  return cluster;
}

export const handlerCommands = (owner: ComponentContext | Clock): HandlerCommands => lookup(owner).commands;
export const handlerFaults = (owner: ComponentContext | Clock): HandlerFaults => lookup(owner).faults;

export function virtHandlerComponents(ctx: ComponentContext, ownsNode?: (nodeName: string) => boolean): Component[] {
  const vmis = ctx.informers.informerFor<VirtualMachineInstance>(VMI_REF);
  const launcherPods = ctx.informers.informerFor<Pod>(POD_REF, { labelSelector: LAUNCHER_POD_SELECTOR });
  launcherPods.addIndexer(BY_VMI_UID, (pod) => {
    const uid = pod.metadata.labels?.[CREATED_BY_LABEL];
    return uid ? [uid] : [];
  });
  const informers = {
    nodes: ctx.informers.informerFor<Node>(NODE_REF),
    handlerPods: ctx.informers.informerFor<Pod>(POD_REF, { namespace: KUBEVIRT_NAMESPACE, labelSelector: HANDLER_POD_SELECTOR }),
    vmis,
    launcherPods,
  };
  const machines = machineFactory({ ctx, vmis, pods: ctx.informers.informerFor<Pod>(POD_REF) });
  const domains = new DomainRegistry(ctx.clock, ctx.random, ctx.profile, machines);
  const agents = new HandlerAgents(ctx, informers, domains, ownsNode);
  ctx.podPorts?.listen(
    launcherPortListener(
      (uid) => domains.get(uid),
      (domain) => {
        const [namespace, name] = domain.key.split('/');
        return vmis.getByName(namespace, name);
      },
    ),
  );
  registerContainerLogSource(launcherLogSource);

  /** The running domain of the VMI, reachable through its node's handler (from the informer: kubevirt-handler may not get VMIs). */
  const domainOf = async (namespace: string, name: string): Promise<Domain> => {
    const vmi = vmis.getByName(namespace, name);
    if (!vmi) throw notFound({ group: 'kubevirt.io', resource: 'virtualmachineinstances', name });
    const nodeName = vmi.status?.nodeName;
    if (!nodeName || !agents.activeNodes.has(nodeName))
      throw internalError(`unable to reach virt-handler on node "${nodeName ?? ''}" for VMI ${namespace}/${name}`);
    const domain = domains.get(vmi.metadata.uid ?? '');
    if (!domain || (domain.state !== 'Running' && domain.state !== 'Paused'))
      throw internalError(`Requested operation is not valid: domain ${namespace}_${name} is not running`);
    return domain;
  };
  const onDomain =
    (act: (domain: Domain) => void) =>
    async (namespace: string, name: string): Promise<void> =>
      act(await domainOf(namespace, name));

  clusters.set(ctx.clock, {
    commands: {
      pause: onDomain((d) => domains.pause(d)),
      unpause: onDomain((d) => domains.unpause(d)),
      softReboot: onDomain((d) => domains.reboot(d)),
      reset: onDomain((d) => domains.reboot(d)),
      guest: async (namespace, name) => {
        const { machine } = await domainOf(namespace, name);
        if (!machine) throw internalError(`no guest is simulated for VMI ${namespace}/${name}`);
        return machine;
      },
    },
    faults: {
      crashGuest: onDomain((d) => domains.crash(d)),
      failBoot: async (namespace, name) => domains.failNextBoot(vmiKey(namespace, name)),
      powerOffGuest: onDomain((d) => domains.powerOff(d)),
      disconnectGuestAgent: onDomain((d) => domains.disconnectAgent(d)),
      connectGuestAgent: onDomain((d) => domains.connectAgent(d)),
      failNextMigration: async (namespace, vmiName) => domains.failNextMigration(vmiKey(namespace, vmiName)),
      stallNextMigration: async (namespace, vmiName) => domains.stallNextMigration(vmiKey(namespace, vmiName)),
    },
  });
  return [agents];
}
