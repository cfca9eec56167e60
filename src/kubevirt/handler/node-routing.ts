/**
 * The changes each node's virt-handler hears about. A real virt-handler's
 * informers are selected by node on the server, so it never sees the VMIs of
 * other nodes; here every handler shares the cluster's informers and the
 * domain registry. Registering every node's handlers on them would hand each
 * change to every node (work that grows with nodes × changes); instead one
 * registration per source routes a change only to the nodes it concerns: the
 * VMI's node and its migration's source and target, a launcher pod's node,
 * a domain's node.
 */
import type { KubeObject } from '../../api/types.js';
import type { Pod } from '../../kube/pods.js';
import type { EventHandlers, EventSource, HandlerRegistration, Informer } from '../../runtime/informer.js';
import type { Logger } from '../../runtime/logger.js';
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

/** Listeners per node, with one upstream subscription held while any node listens. */
class NodeListeners<L> {
  private readonly byNode = new Map<string, Set<L>>();
  private disconnect: (() => void) | undefined;

  constructor(
    private readonly connect: () => () => void,
    private readonly logger: Logger,
  ) {}

  add(nodeName: string, listener: L): () => void {
    this.disconnect ??= this.connect();
    let listeners = this.byNode.get(nodeName);
    if (!listeners) this.byNode.set(nodeName, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.byNode.delete(nodeName);
      if (this.byNode.size === 0) {
        this.disconnect?.();
        this.disconnect = undefined;
      }
    };
  }

  /** Calls the listeners of each node once; a failing one is logged and does not keep the others from hearing. */
  dispatch(nodes: Iterable<string>, call: (listener: L) => void): void {
    for (const node of new Set(nodes)) {
      for (const listener of this.byNode.get(node) ?? []) {
        try {
          call(listener);
        } catch (err) {
          this.logger.error(`virt-handler on ${node}: change handler failed`, err);
        }
      }
    }
  }
}

/** An informer's changes, each handed to the handlers of the nodes `nodesOf` names for the old and the new state. */
class RoutedInformer<T extends KubeObject> {
  private readonly listeners: NodeListeners<EventHandlers<T>>;

  constructor(
    private readonly informer: Informer<T>,
    private readonly nodesOf: (obj: T) => string[],
    logger: Logger,
  ) {
    this.listeners = new NodeListeners(() => {
      const registration = informer.addEventHandler({
        onAdd: (obj) => this.listeners.dispatch(nodesOf(obj), (h) => h.onAdd?.(obj)),
        onUpdate: (old, obj) => this.listeners.dispatch([...nodesOf(old), ...nodesOf(obj)], (h) => h.onUpdate?.(old, obj)),
        onDelete: (obj) => this.listeners.dispatch(nodesOf(obj), (h) => h.onDelete?.(obj)),
      });
      return () => registration.remove();
    }, logger);
  }

  forNode(nodeName: string): EventSource<T> {
    return {
      waitForSync: () => this.informer.waitForSync(),
      addEventHandler: (handlers): HandlerRegistration => {
        const remove = this.listeners.add(nodeName, handlers);
        // As an informer replays its cache to a late handler: the objects already there that concern the node.
        for (const obj of this.informer.list()) if (this.nodesOf(obj).includes(nodeName)) handlers.onAdd?.(obj);
        return { remove };
      },
    };
  }
}

/** The nodes a VMI concerns: the one it runs on, and both ends of its migration. */
const nodesOfVmi = (vmi: VirtualMachineInstance | undefined): string[] => {
  const state = migrationStateOf(vmi ?? ({} as VirtualMachineInstance));
  return [vmi?.status?.nodeName, state?.sourceNode, state?.targetNode].filter((node): node is string => Boolean(node));
};

export class NodeRouting {
  private readonly vmis: RoutedInformer<VirtualMachineInstance>;
  private readonly launcherPods: RoutedInformer<Pod>;
  private readonly domainListeners: NodeListeners<DomainListener>;

  constructor(vmis: Informer<VirtualMachineInstance>, launcherPods: Informer<Pod>, domains: DomainRegistry, logger: Logger) {
    this.vmis = new RoutedInformer(vmis, nodesOfVmi, logger);
    this.launcherPods = new RoutedInformer(launcherPods, (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []), logger);
    this.domainListeners = new NodeListeners(
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
      vmis: this.vmis.forNode(nodeName),
      launcherPods: this.launcherPods.forNode(nodeName),
      subscribeDomains: (listener) => this.domainListeners.add(nodeName, listener),
    };
  }
}
