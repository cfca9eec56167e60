/**
 * etcd leases for objects written with a time to live (Events, kube-apiserver's --event-ttl), as kube-apiserver's
 * etcd3 leaseManager grants them: a lease is a round trip of its own, so one is shared by the writes whose expiry
 * falls within a short window (the smaller of 60 s and 5% of the TTL) and granted that much longer. etcd counts a
 * lease on its own, real, time: it removes the key once it runs out, even when no API server is running.
 */
import type { Etcd3 } from 'etcd3';

const REUSE_SECONDS = 60;
const REUSE_FRACTION = 0.05;

export class EtcdLeases {
  private current: { id: string; expiresAtMs: number } | undefined;

  constructor(private readonly client: Etcd3) {}

  /** The id of a lease that ends between `ttlSeconds` and `ttlSeconds` plus the reuse window from now. */
  async leaseFor(ttlSeconds: number): Promise<string> {
    const reuse = Math.min(REUSE_SECONDS, Math.floor(ttlSeconds * REUSE_FRACTION));
    const now = Date.now();
    const { current } = this;
    if (current && current.expiresAtMs > now + ttlSeconds * 1000 && current.expiresAtMs <= now + (ttlSeconds + reuse) * 1000) {
      return current.id;
    }
    // The backend sends its writes one at a time, so no two grants are in progress at once.
    const { ID } = await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds + reuse });
    this.current = { id: ID, expiresAtMs: now + (ttlSeconds + reuse) * 1000 };
    return ID;
  }
}
