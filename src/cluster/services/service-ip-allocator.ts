/**
 * kube-apiserver's ClusterIP allocation, as an admission plugin: a Service
 * that wants a cluster IP (any type but ExternalName, clusterIP not "None")
 * gets the lowest free address of the service range on create, or keeps the
 * one it asked for if that is free. Updates keep the allocated address.
 * The lead registers it in the admission chain.
 */
import type { AdmissionAttributes, Handles, MutatingPlugin } from '../../admission/chain.js';
import { FieldError, invalid } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
}

const toNumber = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

export interface ServiceIpAllocatorOptions {
  /** The service range; 10.96.0.0/16 by default. */
  cidr?: string;
  /** Every stored Service (all namespaces): their addresses are taken. */
  listServices: () => KubeObject[];
}

export class ServiceIpAllocator implements MutatingPlugin {
  readonly name = 'ServiceClusterIPAllocator';
  private readonly first: number;
  private readonly size: number;

  constructor(private readonly options: ServiceIpAllocatorOptions) {
    const [base, bits] = (options.cidr ?? DEFAULT_SERVICE_CIDR).split('/');
    this.size = 2 ** (32 - Number(bits));
    this.first = toNumber(base);
  }

  readonly handles: Handles = ({ type, subresource }) => type.group === '' && type.kind === 'Service' && !subresource;

  async mutate(attributes: AdmissionAttributes): Promise<KubeObject | undefined> {
    const { object } = attributes;
    if (!object || !this.handles(attributes)) return object;
    const spec = (object.spec ?? {}) as ServiceSpec;
    if (spec.type === 'ExternalName' || spec.clusterIP === 'None') return object;
    if (attributes.operation === 'UPDATE') {
      const old = (attributes.oldObject?.spec ?? {}) as ServiceSpec;
      if (spec.clusterIP || !old.clusterIP) return object;
      return withIp(object, spec, old.clusterIP);
    }
    if (attributes.operation !== 'CREATE') return object;
    const used = this.usedAddresses();
    if (spec.clusterIP) {
      const requested = toNumber(spec.clusterIP);
      const problem =
        requested < this.first || requested >= this.first + this.size
          ? `the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${this.options.cidr ?? DEFAULT_SERVICE_CIDR}`
          : used.has(requested)
            ? 'provided IP is already allocated'
            : undefined;
      if (problem) {
        throw invalid('Service', '', object.metadata.name ?? '', [
          new FieldError(
            'FieldValueInvalid',
            'spec.clusterIPs',
            `Invalid value: []string{"${spec.clusterIP}"}: failed to allocate IP ${spec.clusterIP}: ${problem}`,
          ),
        ]);
      }
      return withIp(object, spec, spec.clusterIP);
    }
    // .0 is the network and .1 belongs to the `kubernetes` Service in a real cluster; allocation starts above.
    for (let offset = 1; offset < this.size - 1; offset++) {
      const candidate = this.first + offset;
      const reservedForApiServer = offset === 1 && !(object.metadata.name === 'kubernetes' && object.metadata.namespace === 'default');
      if (!used.has(candidate) && !reservedForApiServer) return withIp(object, spec, toIp(candidate));
    }
    throw invalid('Service', '', object.metadata.name ?? '', [
      new FieldError('FieldValueInvalid', 'spec.clusterIPs', 'Internal error: failed to allocate a serviceIP: range is full'),
    ]);
  }

  private usedAddresses(): Set<number> {
    const used = new Set<number>();
    for (const svc of this.options.listServices()) {
      for (const ip of ((svc.spec ?? {}) as ServiceSpec).clusterIPs ?? []) if (ip !== 'None') used.add(toNumber(ip));
    }
    return used;
  }
}

function withIp(object: KubeObject, spec: ServiceSpec, ip: string): KubeObject {
  return {
    ...object,
    spec: {
      ...spec,
      clusterIP: ip,
      clusterIPs: [ip],
      ipFamilies: spec.ipFamilies ?? ['IPv4'],
      ipFamilyPolicy: spec.ipFamilyPolicy ?? 'SingleStack',
    },
  };
}
