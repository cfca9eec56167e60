/**
 * kube-apiserver's NodePort allocation (pkg/registry/core/service/storage/alloc.go), as an admission plugin beside
 * the ClusterIP allocator: NodePort and LoadBalancer Services get a port from the node-port range for every port that
 * names none (one per port number, so TCP and UDP of the same port share it, as kube's initNodePorts does), requested
 * ports are refused when taken or out of range with kube's field errors, LoadBalancer Services with
 * `externalTrafficPolicy: Local` get a healthCheckNodePort, and an update keeps the ports the client left out.
 * Free ports are drawn at random from the range's dynamic band first, as kube's bitmap allocator does, so the lower
 * band stays free for static requests; the random source is the emulator's seeded one, so runs repeat.
 */
import type { AdmissionAttributes, Handles, MutatingPlugin } from '../../admission/chain.js';
import { FieldError, internalError, invalid } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';

export const DEFAULT_NODE_PORT_RANGE = { base: 30000, size: 2768 };

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
}

interface ServiceSpec {
  type?: string;
  ports?: ServicePort[];
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  allocateLoadBalancerNodePorts?: boolean;
}

export interface NodePortAllocatorOptions {
  /** Every stored Service (all namespaces): their node ports are taken. */
  listServices: () => KubeObject[];
  /** A number in [0, 1): the emulator's seeded random source. */
  random: () => number;
  range?: { base: number; size: number };
}

const wantsNodePorts = (spec: ServiceSpec): boolean => spec.type === 'NodePort' || spec.type === 'LoadBalancer';
/** kube's shouldAllocateNodePorts: LoadBalancers may opt out with allocateLoadBalancerNodePorts: false. */
const allocatesNodePorts = (spec: ServiceSpec): boolean =>
  spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
/** kube's NeedsHealthCheck. */
const needsHealthCheck = (spec: ServiceSpec): boolean => spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';

const nodePortsOf = (spec: ServiceSpec): number[] =>
  [...(spec.ports ?? []).map((p) => p.nodePort ?? 0), spec.healthCheckNodePort ?? 0].filter((p) => p > 0);

export class NodePortAllocator implements MutatingPlugin {
  readonly name = 'ServiceNodePortAllocator';
  private readonly range: { base: number; size: number };

  constructor(private readonly options: NodePortAllocatorOptions) {
    this.range = options.range ?? DEFAULT_NODE_PORT_RANGE;
  }

  readonly handles: Handles = ({ type, subresource, operation }) =>
    type.group === '' && type.kind === 'Service' && !subresource && (operation === 'CREATE' || operation === 'UPDATE');

  async mutate(attributes: AdmissionAttributes): Promise<KubeObject | undefined> {
    const { object } = attributes;
    if (!object || !this.handles(attributes)) return object;
    const oldSpec = attributes.operation === 'UPDATE' ? ((attributes.oldObject?.spec ?? {}) as ServiceSpec) : {};
    const spec = structuredClone((object.spec ?? {}) as ServiceSpec);
    if (!wantsNodePorts(spec)) {
      if (!wantsNodePorts(oldSpec)) return object;
      // kube's dropTypeDependentFields: ports the client did not change go with the type that needed them.
      return { ...object, spec: withoutUnchangedNodePorts(spec, oldSpec) };
    }
    const name = object.metadata.name ?? '';
    const taken = this.takenPorts(object, new Set(nodePortsOf(oldSpec)));
    keepAllocatedPorts(spec, oldSpec);
    this.allocatePorts(name, spec, taken);
    this.allocateHealthCheckPort(spec, oldSpec, taken);
    return { ...object, spec };
  }

  private allocatePorts(name: string, spec: ServiceSpec, taken: Set<number>): void {
    const byServicePort = new Map<number, number>();
    for (const [index, port] of (spec.ports ?? []).entries()) {
      const requested = port.nodePort ?? 0;
      if (requested === 0 && !allocatesNodePorts(spec)) continue;
      const shared = byServicePort.get(port.port ?? 0);
      if (requested === 0) {
        port.nodePort = shared ?? this.next(taken, 'failed to allocate a nodePort');
      } else if (requested !== shared) {
        const problem = this.problemWith(requested, taken);
        if (problem) {
          throw invalid('Service', '', name, [
            new FieldError('FieldValueInvalid', `spec.ports[${index}].nodePort`, `Invalid value: ${requested}: ${problem}`),
          ]);
        }
      }
      taken.add(port.nodePort!);
      byServicePort.set(port.port ?? 0, port.nodePort!);
    }
  }

  private allocateHealthCheckPort(spec: ServiceSpec, oldSpec: ServiceSpec, taken: Set<number>): void {
    if (!needsHealthCheck(spec)) {
      delete spec.healthCheckNodePort;
      return;
    }
    const kept = needsHealthCheck(oldSpec) ? oldSpec.healthCheckNodePort : undefined;
    if (kept && (spec.healthCheckNodePort ?? kept) === kept) {
      spec.healthCheckNodePort = kept;
      return;
    }
    const requested = spec.healthCheckNodePort ?? 0;
    if (requested === 0) {
      spec.healthCheckNodePort = this.next(taken, 'failed to allocate a HealthCheck NodePort 0');
    } else {
      const problem = this.problemWith(requested, taken);
      if (problem) throw internalError(`failed to allocate requested HealthCheck NodePort ${requested}: ${problem}`);
    }
    taken.add(spec.healthCheckNodePort!);
  }

  /** kube's portallocator errors, in its words. */
  private problemWith(port: number, taken: Set<number>): string | undefined {
    const { base, size } = this.range;
    if (port < base || port >= base + size) {
      return `provided port is not in the valid range. The range of valid ports is ${base}-${base + size - 1}`;
    }
    return taken.has(port) ? 'provided port is already allocated' : undefined;
  }

  /** A free port: random in the dynamic band, then the static band (kube's offset is min(max(16, size/32), 128)). */
  private next(taken: Set<number>, what: string): number {
    const { base, size } = this.range;
    const staticBand = Math.min(Math.max(16, Math.floor(size / 32)), 128);
    const bands: Array<[number, number]> = [
      [staticBand, size],
      [0, staticBand],
    ];
    for (const [from, to] of bands) {
      const span = to - from;
      if (span <= 0) continue;
      const start = Math.floor(this.options.random() * span);
      for (let step = 0; step < span; step++) {
        const port = base + from + ((start + step) % span);
        if (!taken.has(port)) return port;
      }
    }
    throw internalError(`${what}: range is full`);
  }

  /** Ports of every other Service; the service's own previous ports stay free for it to keep or move. */
  private takenPorts(object: KubeObject, ownPrevious: Set<number>): Set<number> {
    const taken = new Set<number>();
    for (const svc of this.options.listServices()) {
      const same = svc.metadata.namespace === object.metadata.namespace && svc.metadata.name === object.metadata.name;
      for (const port of nodePortsOf((svc.spec ?? {}) as ServiceSpec)) if (!same || !ownPrevious.has(port)) taken.add(port);
    }
    return taken;
  }
}

/** kube's patchAllocatedValues: a port the client sent without its nodePort keeps the one it had. */
function keepAllocatedPorts(spec: ServiceSpec, oldSpec: ServiceSpec): void {
  if (!wantsNodePorts(oldSpec)) return;
  for (const port of spec.ports ?? []) {
    if (port.nodePort) continue;
    const old = (oldSpec.ports ?? []).find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
    if (old?.nodePort) port.nodePort = old.nodePort;
  }
}

function withoutUnchangedNodePorts(spec: ServiceSpec, oldSpec: ServiceSpec): ServiceSpec {
  const oldPorts = new Set(nodePortsOf(oldSpec));
  for (const port of spec.ports ?? []) if (port.nodePort && oldPorts.has(port.nodePort)) delete port.nodePort;
  if (spec.healthCheckNodePort && spec.healthCheckNodePort === oldSpec.healthCheckNodePort) delete spec.healthCheckNodePort;
  return spec;
}
