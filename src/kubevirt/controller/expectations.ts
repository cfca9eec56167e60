/**
 * client-go's ControllerExpectations in small: after a controller creates or
 * deletes something it waits until its informer has seen that happen before
 * acting on the same key again, so a stale cache never makes it create twice.
 * Expectations older than five minutes are dropped (ExpectationsTimeout), so a
 * lost event cannot wedge a key forever.
 */
import type { Clock } from '../../runtime/clock.js';

const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Pending {
  adds: number;
  deletes: Set<string>;
  sinceMs: number;
}

export class Expectations {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly clock: Clock) {}

  expectCreation(key: string): void {
    this.entry(key).adds += 1;
  }

  expectDeletion(key: string, objectKey: string): void {
    this.entry(key).deletes.add(objectKey);
  }

  creationObserved(key: string): void {
    const entry = this.pending.get(key);
    if (entry && entry.adds > 0) entry.adds -= 1;
    this.cleanup(key);
  }

  deletionObserved(key: string, objectKey: string): void {
    this.pending.get(key)?.deletes.delete(objectKey);
    this.cleanup(key);
  }

  /** The write failed: nothing will be observed. */
  creationFailed(key: string): void {
    this.creationObserved(key);
  }

  deletionFailed(key: string, objectKey: string): void {
    this.deletionObserved(key, objectKey);
  }

  isCreationExpected(key: string): boolean {
    return (this.live(key)?.adds ?? 0) > 0;
  }

  isDeletionExpected(key: string): boolean {
    return (this.live(key)?.deletes.size ?? 0) > 0;
  }

  satisfied(key: string): boolean {
    return !this.isCreationExpected(key) && !this.isDeletionExpected(key);
  }

  forget(key: string): void {
    this.pending.delete(key);
  }

  private live(key: string): Pending | undefined {
    const entry = this.pending.get(key);
    if (entry && this.clock.nowMs() - entry.sinceMs > EXPECTATIONS_TIMEOUT_MS) {
      this.pending.delete(key);
      return undefined;
    }
    return entry;
  }

  private entry(key: string): Pending {
    let entry = this.live(key);
    if (!entry) this.pending.set(key, (entry = { adds: 0, deletes: new Set(), sinceMs: this.clock.nowMs() }));
    return entry;
  }

  private cleanup(key: string): void {
    const entry = this.pending.get(key);
    if (entry && entry.adds === 0 && entry.deletes.size === 0) this.pending.delete(key);
  }
}
