/**
 * The migration controller's phase step (processMigrationPhase in
 * pkg/virt-controller/watch/migration/migration.go) as a pure function: from
 * the VMIM, its VMI and its target pod, the next phase and the event that
 * goes with it. One step per call; every status write brings the VMIM back,
 * so a migration walks Pending → Scheduling → Scheduled → PreparingTarget →
 * TargetReady → Running → Succeeded with a timestamp for each phase.
 */
import type { Pod } from '../../../kube/pods.js';
import { findCondition } from '../conditions.js';
import { isLauncherPodReady, isPodDown } from '../vmi/launcher-pod-state.js';
import type { Migration, MigrationPhase } from './migration-types.js';
import { isFinal, type VirtualMachineInstance } from '../types.js';

export interface PhaseStep {
  phase: MigrationPhase;
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

export interface MigrationFacts {
  migration: Migration;
  vmi: VirtualMachineInstance | undefined;
  /** The target pod created for this migration, if it exists. */
  targetPod: Pod | undefined;
  /** Another unfinished migration holds the VMI's migrationState. */
  vmiHeldByOther: boolean;
}

const failed = (message: string): PhaseStep => ({ phase: 'Failed', event: { type: 'Warning', reason: 'FailedMigration', message } });

/** The migration has been handed to virt-handler: the VMI's migrationState is this migration's. */
export const isHandedOff = (phase: MigrationPhase): boolean =>
  phase === 'PreparingTarget' || phase === 'TargetReady' || phase === 'Running';

export function nextMigrationPhase(facts: MigrationFacts): PhaseStep {
  const { migration, vmi, targetPod } = facts;
  const phase = migration.status?.phase ?? '';
  if (phase === 'Succeeded' || phase === 'Failed') return { phase };
  if (!vmi) return failed('Migration failed because vmi does not exist.');
  if (isFinal(vmi)) return failed('Migration failed vmi shutdown during migration.');
  if (phase === '')
    return facts.vmiHeldByOther
      ? failed('VMI is not eligible for migration because another migration job is in progress.')
      : { phase: 'Pending' };

  const state = vmi.status?.migrationState;
  const ours = state?.migrationUid === migration.metadata.uid;
  if (isHandedOff(phase)) {
    if (!state) return failed("VMI's migration state was cleared during the active migration.");
    if (!ours) return failed("VMI's migration state was taken over by another migration job during active migration.");
    if (state.failed) return failed('source node reported migration failed');
  }
  if (phase === 'Pending') {
    const migratable = findCondition(vmi.status?.conditions, 'LiveMigratable');
    if (migratable?.status === 'False')
      return failed(`Cannot migrate VMI, Reason: ${migratable.reason ?? ''}, Message: ${migratable.message ?? ''}`);
    return targetPod ? { phase: 'Scheduling' } : { phase };
  }
  if (!targetPod) return state?.completed ? { phase } : failed('Migration target pod was removed during active migration.');
  if (isPodDown(targetPod) && !state?.completed) return failed('Migration failed because target pod shutdown during migration');
  switch (phase) {
    case 'Scheduling':
      return isLauncherPodReady(targetPod) ? { phase: 'Scheduled' } : { phase };
    case 'Scheduled':
      return ours && state?.targetNode ? { phase: 'PreparingTarget' } : { phase };
    case 'PreparingTarget':
      return state?.targetNodeAddress ? { phase: 'TargetReady' } : { phase };
    case 'TargetReady':
      return state?.startTimestamp ? { phase: 'Running' } : { phase };
    case 'Running':
      return state?.completed
        ? {
            phase: 'Succeeded',
            event: { type: 'Normal', reason: 'SuccessfulMigration', message: 'Source node reported migration succeeded' },
          }
        : { phase };
  }
}
