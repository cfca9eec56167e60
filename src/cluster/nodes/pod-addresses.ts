/**
 * Pod IPs from the node's pod CIDR, as kind's CNI hands them out: the lowest
 * free host address from .2 up (.1 is the node's bridge). Assigned addresses
 * are held here until released, so two pods admitted before either status
 * is written never share one.
 */
export class PodAddressPool {
  private readonly assigned = new Map<string, string>();
  private readonly prefix: string | undefined;

  /** Only /24 ranges are planned (10.244.N.0/24); without one, pods get no address. */
  constructor(podCIDR: string | undefined) {
    const match = podCIDR ? /^(\d+\.\d+\.\d+)\.0\/24$/.exec(podCIDR) : null;
    this.prefix = match?.[1];
  }

  /** The pod's address: the one it already has, or the lowest one neither assigned nor in use. */
  assign(podUid: string, current: string | undefined, inUse: Set<string>): string | undefined {
    const held = this.assigned.get(podUid) ?? current;
    if (held) {
      this.assigned.set(podUid, held);
      return held;
    }
    if (!this.prefix) return undefined;
    const taken = new Set([...inUse, ...this.assigned.values()]);
    for (let host = 2; host < 255; host++) {
      const address = `${this.prefix}.${host}`;
      if (!taken.has(address)) {
        this.assigned.set(podUid, address);
        return address;
      }
    }
    return undefined;
  }

  release(podUid: string): void {
    this.assigned.delete(podUid);
  }
}
