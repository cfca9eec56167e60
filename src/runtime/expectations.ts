/**
 * Controller expectations (ControllerExpectations and its UID-tracking
 * variant in k8s.io/kubernetes pkg/controller/controller_utils.go, which
 * KubeVirt's controllers use too): after a controller creates or deletes
 * children of a parent it must not act on that parent again until its
 * informer has seen those writes, or a stale cache makes it create twice.
 * Creations are counted (children are named by generateName); deletions are
 * tracked by child key. A write that failed will never be seen: lower the
 * expectation with the matching `...Observed` call, as Kubernetes does.
 * Expectations older than five minutes (ExpectationsTimeout) are given up
 * on, so a lost event cannot wedge a parent forever.
 */
import type { Clock } from './clock.js';

const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Pending {
  adds: number;
  deletes: Set<string>;
  sinceMs: number;
}

export class Expectations {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly clock: Clock) {}

  /** Call before creating `count` children of `parentKey`. */
  expectCreations(parentKey: string, count = 1): void {
    this.entry(parentKey).adds += count;
  }

  /** Call before deleting the children with these keys. */
  expectDeletions(parentKey: string, childKeys: readonly string[]): void {
    const entry = this.entry(parentKey);
    for (const key of childKeys) entry.deletes.add(key);
  }

  /** The informer saw a child of `parentKey` appear, or its creation failed. */
  creationObserved(parentKey: string): void {
    const entry = this.pending.get(parentKey);
    if (entry && entry.adds > 0) entry.adds -= 1;
    this.dropIfFulfilled(parentKey);
  }

  /** The informer saw the child go (or start terminating), or its deletion failed. */
  deletionObserved(parentKey: string, childKey: string): void {
    this.pending.get(parentKey)?.deletes.delete(childKey);
    this.dropIfFulfilled(parentKey);
  }

  isCreationExpected(parentKey: string): boolean {
    return (this.live(parentKey)?.adds ?? 0) > 0;
  }

  isDeletionExpected(parentKey: string): boolean {
    return (this.live(parentKey)?.deletes.size ?? 0) > 0;
  }

  /** Whether the parent may be synced: everything expected was seen, or the wait timed out. */
  satisfied(parentKey: string): boolean {
    return !this.isCreationExpected(parentKey) && !this.isDeletionExpected(parentKey);
  }

  /** The parent is gone: nothing it expected matters any more. */
  forget(parentKey: string): void {
    this.pending.delete(parentKey);
  }

  /** The parent's expectations unless they timed out (then they are dropped). */
  private live(parentKey: string): Pending | undefined {
    const entry = this.pending.get(parentKey);
    if (entry && this.clock.nowMs() - entry.sinceMs > EXPECTATIONS_TIMEOUT_MS) {
      this.pending.delete(parentKey);
      return undefined;
    }
    return entry;
  }

  private entry(parentKey: string): Pending {
    let entry = this.live(parentKey);
    if (!entry) this.pending.set(parentKey, (entry = { adds: 0, deletes: new Set(), sinceMs: this.clock.nowMs() }));
    return entry;
  }

  private dropIfFulfilled(parentKey: string): void {
    const entry = this.pending.get(parentKey);
    if (entry && entry.adds === 0 && entry.deletes.size === 0) this.pending.delete(parentKey);
  }
}
