/**
 * Runs one simulated kubelet per Node, as KWOK does: the cluster's nodes are
 * registered at start, a Node created later through the API gets a kubelet
 * too, and a deleted Node's kubelet stops. A fault can stop a node's kubelet
 * (and start it again) without touching the Node or its pods.
 */
import type { Component } from '../../runtime/component.js';
import type { HandlerRegistration, Informer } from '../../runtime/informer.js';
import { RoutedInformer } from '../../runtime/routed-informer.js';
import { asIdentity, type ComponentContext } from '../../runtime/component-context.js';
import type { Pod } from '../../kube/pods.js';
import { Kubelet } from './kubelet.js';
import { kubeletNodeStatus } from './node-status.js';
import {
  CLUSTER_NAME,
  CONTROL_PLANE_NODE,
  identityAt,
  ownedByPrefix,
  nodeInfo,
  registeredNode,
  workerName,
  type NodeIdentity,
} from './node-template.js';
import { errorCode, NODE_REF, type Node } from '../../kube/nodes.js';

export class KubeletManager implements Component {
  readonly name = 'kubelets';
  private readonly kubelets = new Map<string, Kubelet>();
  /** Per node, the start or stop in progress; transitions of one node run one after the other. */
  private readonly transitions = new Map<string, Promise<void>>();
  /** The nodes this process registers (kind's, or `<prefix>-worker...`): the ones it moves off a clashing address. */
  private readonly clusterNodes = new Set<string>();
  /** Those of them being registered again at another address. */
  private readonly moving = new Set<string>();
  /** Nodes whose kubelet a fault stopped. */
  private readonly stopped = new Set<string>();
  /** Per node: machine facts and images outlive a kubelet restart. */
  private readonly machines = new Map<string, Record<string, string>>();
  private readonly images = new Map<string, Set<string>>();
  /** Normalized references no registry serves (image-pull-failure faults): every node's pulls of them fail. */
  readonly missingImages = new Set<string>();
  private registration: HandlerRegistration | undefined;
  private active = false;
  /** Each pod change goes to the kubelet of the pod's node only, not to every kubelet. */
  private readonly podsByNode: RoutedInformer<Pod>;

  constructor(
    private readonly ctx: ComponentContext,
    private readonly nodes: Informer<Node>,
    private readonly pods: Informer<Pod>,
    /** Worker nodes to register beside the control-plane node at start. */
    private readonly workers: number,
    /**
     * Several emulators, one cluster: this process registers `<prefix>-worker...` (and the control-plane node only
     * under kind's own prefix) and runs the kubelets of the nodes named `<prefix>-...` only; the others' are theirs.
     */
    private readonly nodePrefix?: string,
  ) {
    this.podsByNode = new RoutedInformer(pods, (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []), ctx.logger);
  }

  async start(): Promise<void> {
    if (this.active) return;
    this.active = true;
    await this.registerClusterNodes();
    this.registration = this.nodes.addEventHandler({
      onAdd: (node) => {
        void this.converge(node.metadata.name ?? '');
        this.yieldClashingPlaces(node);
      },
      onUpdate: (_old, node) => this.converge(node.metadata.name ?? ''),
      onDelete: (node) => this.converge(node.metadata.name ?? ''),
    });
  }

  async stop(): Promise<void> {
    this.active = false;
    this.registration?.remove();
    for (const name of [...this.kubelets.keys()]) this.converge(name);
    await Promise.all(this.transitions.values());
  }

  /** Stops the node's kubelet: no more heartbeats or pod updates until startKubelet. */
  async stopKubelet(nodeName: string): Promise<void> {
    this.stopped.add(nodeName);
    await this.converge(nodeName);
  }

  async startKubelet(nodeName: string): Promise<void> {
    this.stopped.delete(nodeName);
    await this.converge(nodeName);
  }

  isKubeletRunning(nodeName: string): boolean {
    return this.kubelets.has(nodeName);
  }

  /**
   * kind's nodes: the control plane and `workers` workers, created unless they exist. Each takes the first free place
   * in the address plan, so emulators sharing one cluster (on etcd) give their nodes distinct IPs and pod CIDRs.
   */
  private async registerClusterNodes(): Promise<void> {
    const prefix = this.nodePrefix ?? CLUSTER_NAME;
    const workers = Array.from({ length: this.workers }, (_, i) => workerName(i + 1, prefix));
    const names = prefix === CLUSTER_NAME ? [CONTROL_PLANE_NODE, ...workers] : workers;
    // Read from the API, not the informer: it may not have listed yet, and another emulator's nodes must count.
    const existing = (await this.ctx.client.list<Node>(NODE_REF)).items;
    const registered: NodeIdentity[] = [];
    for (const name of names) {
      this.clusterNodes.add(name);
      if (existing.some((node) => node.metadata.name === name)) continue;
      registered.push(await this.register(name, existing, registered));
    }
  }

  /** Creates the Node as its kubelet registers it, at the first place in the address plan `nodes` and `taken` leave free. */
  private async register(name: string, nodes: Node[], taken: NodeIdentity[] = []): Promise<NodeIdentity> {
    const identity = this.freeIdentity(name, nodes, taken);
    const status = kubeletNodeStatus(undefined, identity, this.machineOf(name), this.ctx.clock.now());
    try {
      const node = registeredNode(identity, name === CONTROL_PLANE_NODE, status);
      await asIdentity(this.ctx, { component: 'kubelet', node: name }).client.create(node);
    } catch (err) {
      if (errorCode(err) !== 409) throw err;
    }
    return identity;
  }

  /**
   * Emulators on one etcd (each with a node prefix) that start at the same instant may each give a node the same free
   * place in the address plan. Of two nodes with the same InternalIP or pod CIDR, the one registered first (earlier
   * creationTimestamp, then name: every emulator decides alike) keeps it; when that is another's, this process's node
   * registers again at a free place (its kubelet stopped meanwhile, so it starts again with the new addresses).
   */
  private yieldClashingPlaces(added: Node): void {
    // Alone (no etcd, no prefix), every node is registered through this process, at a free place.
    if (this.nodePrefix === undefined) return;
    const addedName = added.metadata.name ?? '';
    const pairs: [Node | undefined, Node][] = this.clusterNodes.has(addedName)
      ? this.nodes.list().map((other) => [added, other])
      : [...this.clusterNodes].map((name) => [this.nodes.getByName(undefined, name), added]);
    for (const [mine, other] of pairs) {
      if (!mine || mine.metadata.name === other.metadata.name || !samePlace(mine, other) || !registeredBefore(other, mine)) continue;
      this.moveOff(mine.metadata.name ?? '', other.metadata.name ?? '');
    }
  }

  private moveOff(name: string, other: string): void {
    if (this.moving.has(name)) return;
    this.moving.add(name);
    const moving = this.stopped.has(name)
      ? this.reRegister(name)
      : this.stopKubelet(name).then(() => this.reRegister(name).finally(() => this.startKubelet(name)));
    moving
      .catch((err: unknown) => this.ctx.logger.error(`moving ${name} off ${other}'s addresses`, err))
      .finally(() => this.moving.delete(name));
  }

  /** Deletes the Node (as the node controller: a kubelet may not) and registers it again at a free place. */
  private async reRegister(name: string): Promise<void> {
    const { client } = this.ctx;
    await client.delete(NODE_REF, undefined, name);
    await this.register(name, (await client.list<Node>(NODE_REF)).items);
  }

  /** Starts or stops the node's kubelet so that it runs exactly while the Node exists and no fault stopped it. */
  private converge(nodeName: string): Promise<void> {
    const previous = this.transitions.get(nodeName) ?? Promise.resolve();
    const next = previous
      .then(() => this.transition(nodeName))
      .catch((err: unknown) => this.ctx.logger.error(`kubelet of ${nodeName}`, err));
    this.transitions.set(nodeName, next);
    void next.then(() => {
      if (this.transitions.get(nodeName) === next) this.transitions.delete(nodeName);
    });
    return next;
  }

  private async transition(nodeName: string): Promise<void> {
    const node = this.nodes.getByName(undefined, nodeName);
    const mine = this.nodePrefix === undefined || ownedByPrefix(this.nodePrefix)(nodeName);
    const shouldRun = mine && this.active && node !== undefined && !node.metadata.deletionTimestamp && !this.stopped.has(nodeName);
    const kubelet = this.kubelets.get(nodeName);
    if (shouldRun && !kubelet) {
      const identity = await this.identityOf(node);
      const ctx = asIdentity(this.ctx, { component: 'kubelet', node: nodeName });
      const started = new Kubelet({
        ctx,
        identity,
        machine: this.machineOf(nodeName),
        pods: this.pods,
        podChanges: this.podsByNode.forPartition(nodeName),
        images: this.imagesOf(nodeName),
        missingImages: this.missingImages,
        staticPods: nodeName === CONTROL_PLANE_NODE,
      });
      this.kubelets.set(nodeName, started);
      await started.start();
    } else if (!shouldRun && kubelet) {
      this.kubelets.delete(nodeName);
      await kubelet.stop();
    }
  }

  /** The first place in the address plan that no other node (nor one of `taken`) has. */
  private freeIdentity(name: string, nodes: Node[], taken: NodeIdentity[] = []): NodeIdentity {
    const others = nodes.filter((n) => n.metadata.name !== name);
    const usedCIDRs = new Set([...others.map((n) => n.spec?.podCIDR), ...taken.map((identity) => identity.podCIDR)]);
    const usedIPs = new Set([...others.map((n) => internalIP(n)), ...taken.map((identity) => identity.internalIP)]);
    let index = 0;
    while (usedCIDRs.has(identityAt(name, index).podCIDR) || usedIPs.has(identityAt(name, index).internalIP)) index++;
    return identityAt(name, index);
  }

  /**
   * The node's place in the address plan: its own pod CIDR and InternalIP
   * when it has them, else the next free ones. A Node applied without a pod
   * CIDR gets one written to its spec, as the node IPAM controller does.
   */
  private async identityOf(node: Node): Promise<NodeIdentity> {
    const name = node.metadata.name ?? '';
    const free = this.freeIdentity(name, this.nodes.list());
    const identity = { name, podCIDR: node.spec?.podCIDR ?? free.podCIDR, internalIP: internalIP(node) ?? free.internalIP };
    if (!node.spec?.podCIDR) {
      await this.ctx.client.update<Node>({ ...node, spec: { ...node.spec, podCIDR: identity.podCIDR, podCIDRs: [identity.podCIDR] } });
    }
    return identity;
  }

  private machineOf(nodeName: string): Record<string, string> {
    let machine = this.machines.get(nodeName);
    if (!machine) this.machines.set(nodeName, (machine = nodeInfo(this.ctx.random)));
    return machine;
  }

  private imagesOf(nodeName: string): Set<string> {
    let images = this.images.get(nodeName);
    if (!images) this.images.set(nodeName, (images = new Set()));
    return images;
  }
}

const internalIP = (node: Node): string | undefined => node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;

const samePlace = (a: Node, b: Node): boolean =>
  (a.spec?.podCIDR !== undefined && a.spec.podCIDR === b.spec?.podCIDR) || (internalIP(a) !== undefined && internalIP(a) === internalIP(b));

/** Whether `a` was registered before `b`: creationTimestamps (RFC 3339, seconds) compare as strings; names break ties. */
const registeredBefore = (a: Node, b: Node): boolean => {
  const [x, y] = [a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? ''];
  return x !== y ? x < y : (a.metadata.name ?? '') < (b.metadata.name ?? '');
};
