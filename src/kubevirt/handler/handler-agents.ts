/**
 * One virt-handler per node, running exactly while the virt-handler
 * DaemonSet's pod on that node is Running (a Gate per Node): the node agent
 * (device plugins, labeller, heartbeat), the VMI loop and the migration loop. The domains are
 * not the handler's: they live in the launcher pods and outlive a handler
 * restart.
 */
import { asIdentity, type ComponentContext } from '../../runtime/component-context.js';
import { KUBEVIRT_SERVICE_ACCOUNT_NAMESPACE } from '../index.js';
import type { Node } from '../../kube/nodes.js';
import type { Pod } from '../../kube/pods.js';
import { Gate, type Component } from '../../runtime/component.js';
import type { HandlerRegistration, Informer } from '../../runtime/informer.js';
import type { DomainRegistry } from './domains.js';
import { MigrationSync } from './migration-sync.js';
import { NodeAgent } from './node-agent.js';
import { type NodeChanges, NodeRouting } from './node-routing.js';
import { VmiSync } from './vmi-sync.js';
import type { VirtualMachineInstance } from './vmi-types.js';

export interface HandlerInformers {
  nodes: Informer<Node>;
  /** The virt-handler DaemonSet's pods (namespace kubevirt, kubevirt.io=virt-handler). */
  handlerPods: Informer<Pod>;
  vmis: Informer<VirtualMachineInstance>;
  launcherPods: Informer<Pod>;
}

/** Whether a virt-handler pod runs on the node: Running and not being deleted. */
export const handlerRunsOn = (pods: readonly Pod[], nodeName: string): boolean =>
  pods.some((pod) => pod.spec.nodeName === nodeName && pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp);

const HANDLER_POD_NODE_INDEX = 'virt-handler/spec.nodeName';

/** The handler process of one node. */
class NodeHandler implements Component {
  readonly name: string;
  private readonly parts: Component[];

  constructor(
    ctx: ComponentContext,
    private readonly nodeName: string,
    informers: HandlerInformers,
    domains: DomainRegistry,
    changes: NodeChanges,
    private readonly activeNodes: Set<string>,
  ) {
    this.name = `virt-handler-${nodeName}`;
    // The handler pod's bound token carries its node's name, which KubeVirt's node-restriction policy checks.
    ctx = asIdentity(ctx, { component: 'virt-handler', namespace: KUBEVIRT_SERVICE_ACCOUNT_NAMESPACE, node: nodeName });
    const { vmis, launcherPods, nodes, handlerPods } = informers;
    this.parts = [
      new NodeAgent(ctx, nodeName),
      new VmiSync({ ctx, nodeName, vmis, launcherPods, nodes, domains, changes }),
      new MigrationSync({ ctx, nodeName, vmis, launcherPods, handlerPods, domains, changes }),
    ];
  }

  async start(): Promise<void> {
    for (const part of this.parts) await part.start();
    this.activeNodes.add(this.nodeName);
  }

  async stop(): Promise<void> {
    this.activeNodes.delete(this.nodeName);
    for (const part of [...this.parts].reverse()) await part.stop();
  }
}

export class HandlerAgents implements Component {
  readonly name = 'virt-handlers';
  private readonly gates = new Map<string, Gate>();
  /** Nodes whose handler runs now: the ones virt-api can reach. */
  readonly activeNodes = new Set<string>();
  private registration: HandlerRegistration | undefined;
  /** Gate starts and stops, in order. */
  private transitions: Promise<void> = Promise.resolve();
  private readonly routing: NodeRouting;

  constructor(
    private readonly ctx: ComponentContext,
    private readonly informers: HandlerInformers,
    private readonly domains: DomainRegistry,
    /** The nodes this process simulates (several emulators, one cluster); undefined: all. */
    private readonly ownsNode: (nodeName: string) => boolean = () => true,
  ) {
    this.routing = new NodeRouting(informers.vmis, informers.launcherPods, domains, ctx.logger);
    informers.handlerPods.ensureIndexer(HANDLER_POD_NODE_INDEX, (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []));
  }

  async start(): Promise<void> {
    const converge = (node: Node): void => this.converge(node.metadata.name ?? '');
    this.registration = this.informers.nodes.addEventHandler({ onAdd: converge, onDelete: converge });
  }

  async stop(): Promise<void> {
    this.registration?.remove();
    this.registration = undefined;
    for (const name of [...this.gates.keys()]) this.converge(name, true);
    await this.transitions;
  }

  /** A Gate for each Node that exists; a deleted Node's handler stops. */
  private converge(nodeName: string, stopping = false): void {
    this.transitions = this.transitions
      .then(async () => {
        const exists = !stopping && this.ownsNode(nodeName) && this.informers.nodes.getByName(undefined, nodeName) !== undefined;
        const gate = this.gates.get(nodeName);
        if (exists && !gate) {
          const created = this.gateFor(nodeName);
          this.gates.set(nodeName, created);
          await created.start();
        } else if (!exists && gate) {
          this.gates.delete(nodeName);
          await gate.stop();
        }
      })
      .catch((err: unknown) => this.ctx.logger.error(`virt-handler on ${nodeName}`, err));
  }

  private gateFor(nodeName: string): Gate {
    const { handlerPods } = this.informers;
    return new Gate({
      name: `virt-handler-gate-${nodeName}`,
      informers: [handlerPods],
      // The node's own handler pods, not every node's: each node's gate looks at each handler pod change.
      condition: () => handlerRunsOn(handlerPods.byIndex(HANDLER_POD_NODE_INDEX, nodeName), nodeName),
      createChild: () =>
        new NodeHandler(this.ctx, nodeName, this.informers, this.domains, this.routing.forNode(nodeName), this.activeNodes),
      logger: this.ctx.logger,
    });
  }
}
