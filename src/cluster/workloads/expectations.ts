/**
 * Controller expectations (pkg/controller/controller_utils.go): after a
 * controller creates or deletes children it must not act on the same parent
 * again until its informer has seen those writes, or a stale cache makes it
 * create duplicates. Creations are counted (names come from generateName);
 * deletions are tracked by child key. Expectations older than five minutes
 * are given up on, as in Kubernetes.
 */
import type { Clock } from '../../runtime/clock.js';

const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Pending {
  adds: number;
  deletes: Set<string>;
  sinceMs: number;
}

export class Expectations {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly clock: Clock) {}

  /** Call before creating `count` children of `parentKey`. */
  expectCreations(parentKey: string, count: number): void {
    this.entry(parentKey).adds += count;
  }

  /** Call before deleting the children with these keys. */
  expectDeletions(parentKey: string, childKeys: string[]): void {
    const entry = this.entry(parentKey);
    for (const key of childKeys) entry.deletes.add(key);
  }

  creationObserved(parentKey: string): void {
    const entry = this.pending.get(parentKey);
    if (entry && entry.adds > 0) entry.adds -= 1;
  }

  deletionObserved(parentKey: string, childKey: string): void {
    this.pending.get(parentKey)?.deletes.delete(childKey);
  }

  /** Whether the parent may be synced: everything expected has been seen, or the wait timed out. */
  satisfied(parentKey: string): boolean {
    const entry = this.pending.get(parentKey);
    if (!entry) return true;
    const done = (entry.adds <= 0 && entry.deletes.size === 0) || this.clock.nowMs() - entry.sinceMs > EXPECTATIONS_TIMEOUT_MS;
    if (done) this.pending.delete(parentKey);
    return done;
  }

  forget(parentKey: string): void {
    this.pending.delete(parentKey);
  }

  private entry(parentKey: string): Pending {
    let entry = this.pending.get(parentKey);
    if (!entry) this.pending.set(parentKey, (entry = { adds: 0, deletes: new Set(), sinceMs: this.clock.nowMs() }));
    return entry;
  }
}
