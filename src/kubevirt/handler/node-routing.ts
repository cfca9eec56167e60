/**
 * The changes each node's virt-handler hears about. A real virt-handler's
 * informers are selected by node on the server, so it never sees the VMIs of
 * other nodes; here every handler shares the cluster's informers and the
 * domain registry, and one registration per source routes a change only to
 * the nodes it concerns (runtime/routed-informer.ts): the VMI's node and its
 * migration's source and target, a launcher pod's node, a domain's node.
 */
import type { Pod } from '../../kube/pods.js';
import type { EventSource, Informer } from '../../runtime/informer.js';
import type { Logger } from '../../runtime/logger.js';
import { PartitionedListeners, RoutedInformer } from '../../runtime/routed-informer.js';
import type { DomainListener, DomainRegistry } from './domains.js';
import { migrationStateOf } from './migration-sync.js';
import type { VirtualMachineInstance } from './vmi-types.js';

/** What one node's handler parts listen to. */
export interface NodeChanges {
  vmis: EventSource<VirtualMachineInstance>;
  launcherPods: EventSource<Pod>;
  /** Domain events (libvirt's) of the VMIs that concern the node. */
  subscribeDomains(listener: DomainListener): () => void;
}

/** The nodes a VMI concerns: the one it runs on, and both ends of its migration. */
function nodesOfVmi(vmi: VirtualMachineInstance | undefined): string[] {
  if (!vmi) return [];
  const state = migrationStateOf(vmi);
  return [vmi.status?.nodeName, state?.sourceNode, state?.targetNode].filter((node): node is string => Boolean(node));
}

export class NodeRouting {
  private readonly vmis: RoutedInformer<VirtualMachineInstance>;
  private readonly launcherPods: RoutedInformer<Pod>;
  private readonly domainListeners: PartitionedListeners<DomainListener>;

  constructor(vmis: Informer<VirtualMachineInstance>, launcherPods: Informer<Pod>, domains: DomainRegistry, logger: Logger) {
    this.vmis = new RoutedInformer(vmis, nodesOfVmi, logger);
    this.launcherPods = new RoutedInformer(launcherPods, (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []), logger);
    this.domainListeners = new PartitionedListeners(
      () =>
        domains.subscribe((key) => {
          const domainNode = domains.byKey(key)?.nodeName;
          const nodes = nodesOfVmi(vmis.get(key));
          this.domainListeners.dispatch(domainNode ? [domainNode, ...nodes] : nodes, (listener) => listener(key));
        }),
      logger,
    );
  }

  forNode(nodeName: string): NodeChanges {
    return {
      vmis: this.vmis.forPartition(nodeName),
      launcherPods: this.launcherPods.forPartition(nodeName),
      subscribeDomains: (listener) => this.domainListeners.add(nodeName, listener),
    };
  }
}
