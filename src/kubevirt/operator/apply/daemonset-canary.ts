/**
 * The virt-handler DaemonSet's canary rollout (apply/apps.go, syncDaemonSet
 * and processCanaryUpgrade): a changed DaemonSet is first written with
 * `maxUnavailable: 1`, so one node gets the new pod; once that canary is
 * Ready the rollout speeds up to `10%`; when every node runs a Ready,
 * up-to-date pod it goes back to 1. The generation is recorded in
 * `status.generations` only at the speed-up and at the end, so a rollout in
 * progress keeps coming back here.
 */
import type { KubeObject } from '../../../api/types.js';

export const DEFAULT_MAX_UNAVAILABLE = 1;
export const FAST_MAX_UNAVAILABLE = '10%';

export interface CanaryFacts {
  /** The stored DaemonSet lacks something the strategy sets (maxUnavailable aside). */
  specChanged: boolean;
  /** status.generations holds the stored DaemonSet's generation. */
  generationKnown: boolean;
  maxUnavailable: number | string;
  /** Pods of the DaemonSet that carry the target strategy annotations and are Ready. */
  updatedReady: number;
  /** status.desiredNumberScheduled */
  desired: number;
}

/** What to do this round: write the DaemonSet with this maxUnavailable (recording its generation or not), or nothing; and whether the DaemonSet is through. */
export interface CanaryStep {
  write?: { maxUnavailable: number | string; recordGeneration: boolean };
  done: boolean;
}

const isDefault = (maxUnavailable: number | string): boolean => String(maxUnavailable) === String(DEFAULT_MAX_UNAVAILABLE);

export function canaryStep(facts: CanaryFacts): CanaryStep {
  const ongoing = !isDefault(facts.maxUnavailable);
  if (!facts.specChanged && !ongoing && facts.generationKnown) return { done: true };
  if (facts.specChanged) return { write: { maxUnavailable: DEFAULT_MAX_UNAVAILABLE, recordGeneration: false }, done: false };
  // Waiting for the canary (a crash-looping canary would fail the rollout; the simulated handler does not crash on its own).
  if (facts.updatedReady === 0) return { done: false };
  if (facts.updatedReady < facts.desired)
    return ongoing ? { done: false } : { write: { maxUnavailable: FAST_MAX_UNAVAILABLE, recordGeneration: true }, done: false };
  return { write: { maxUnavailable: DEFAULT_MAX_UNAVAILABLE, recordGeneration: true }, done: true };
}

interface DaemonSetSpec {
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
}

/** The API server defaults a RollingUpdate DaemonSet's maxUnavailable to 1. */
export function maxUnavailableOf(daemonSet: KubeObject): number | string {
  return (daemonSet.spec as DaemonSetSpec | undefined)?.updateStrategy?.rollingUpdate?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE;
}

/** The DaemonSet with its rolling update's maxUnavailable set (setMaxUnavailable). */
export function withMaxUnavailable(daemonSet: KubeObject, maxUnavailable: number | string): KubeObject {
  const spec = (daemonSet.spec ?? {}) as DaemonSetSpec & Record<string, unknown>;
  const updateStrategy = spec.updateStrategy ?? { type: 'RollingUpdate' };
  return {
    ...daemonSet,
    spec: { ...spec, updateStrategy: { ...updateStrategy, rollingUpdate: { ...updateStrategy.rollingUpdate, maxUnavailable } } },
  };
}
