/**
 * Pod IPs from the node's pod CIDR, as kind's CNI hands them out: the lowest
 * free host address from .2 up (.1 is the node's bridge). Assigned addresses
 * are held here until released, so two pods admitted before either status
 * is written never share one.
 */
export class PodAddressPool {
  private readonly assigned = new Map<string, string>();
  /** The pod holding each assigned address, so a candidate is checked without walking every assignment. */
  private readonly holders = new Map<string, string>();
  private readonly prefix: string | undefined;

  /** Only /24 ranges are planned (10.244.N.0/24); without one, pods get no address. */
  constructor(podCIDR: string | undefined) {
    const match = podCIDR ? /^(\d+\.\d+\.\d+)\.0\/24$/.exec(podCIDR) : null;
    this.prefix = match?.[1];
  }

  /**
   * The pod's address: the one it already has, or the lowest one neither assigned here nor `inUse` (a live pod of the
   * node shows it in the API: what a restarted kubelet has not re-admitted yet).
   */
  assign(podUid: string, current: string | undefined, inUse: (address: string) => boolean): string | undefined {
    const held = this.assigned.get(podUid) ?? current;
    if (held) return this.hold(podUid, held);
    if (!this.prefix) return undefined;
    for (let host = 2; host < 255; host++) {
      const address = `${this.prefix}.${host}`;
      if (!this.holders.has(address) && !inUse(address)) return this.hold(podUid, address);
    }
    return undefined;
  }

  release(podUid: string): void {
    const address = this.assigned.get(podUid);
    this.assigned.delete(podUid);
    if (address !== undefined && this.holders.get(address) === podUid) this.holders.delete(address);
  }

  private hold(podUid: string, address: string): string {
    this.assigned.set(podUid, address);
    this.holders.set(address, podUid);
    return address;
  }
}
