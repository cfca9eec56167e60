/**
 * kube-apiserver compacts etcd every five minutes (--etcd-compaction-interval),
 * each time up to the revision it saw at the previous run, so a past revision
 * stays readable for five to ten minutes. Continue tokens older than that
 * answer 410 Expired, as on a real cluster.
 */
import type { Clock } from '../runtime/clock.js';
import type { Store } from './store.js';

export const compactionIntervalMs = 5 * 60_000;

/** Starts periodic compaction on the clock; returns the function that stops it. */
export function startCompaction(store: Store, clock: Clock, intervalMs = compactionIntervalMs): () => void {
  let seenAtLastRun = store.resourceVersion;
  const run = () => {
    store.compact(seenAtLastRun);
    seenAtLastRun = store.resourceVersion;
    timer = clock.setTimeout(run, intervalMs);
  };
  let timer = clock.setTimeout(run, intervalMs);
  return () => clock.clearTimeout(timer);
}
