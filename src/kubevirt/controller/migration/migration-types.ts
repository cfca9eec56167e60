/**
 * VirtualMachineInstanceMigration and the VMI's status.migrationState
 * (kubevirt.io/api/core/v1), with the labels, annotations and finalizer that
 * virt-api, virt-controller and virt-handler use to tie a migration, its VMI
 * and its target pod together. virt-handler reads the same shapes.
 */
import type { KubeObject } from '../../../api/types.js';
import type { KindRef } from '../../../client/client.js';
import type { Condition } from '../types.js';

export const VMIM_REF: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration' };

/** On the VMIM (virt-api's mutator): the VMI it migrates. */
export const LABEL_VMI_NAME = 'kubevirt.io/vmi-name';
/** On the target pod: the UID of the migration it was created for. */
export const LABEL_MIGRATION_JOB_UID = 'kubevirt.io/migrationJobUID';
export const ANNOTATION_MIGRATION_JOB_NAME = 'kubevirt.io/migrationJobName';
/** On the VMI from hand-off on: the node it is migrating to. */
export const LABEL_MIGRATION_TARGET_NODE = 'kubevirt.io/migrationTargetNodeName';
export const FINALIZER_MIGRATION = 'kubevirt.io/migrationJobFinalize';
/** On evacuation VMIMs: the node being drained. */
export const ANNOTATION_EVACUATION_MIGRATION = 'kubevirt.io/evacuationMigration';

export type MigrationPhase =
  | ''
  | 'Pending'
  | 'Scheduling'
  | 'Scheduled'
  | 'PreparingTarget'
  | 'TargetReady'
  | 'Running'
  | 'Succeeded'
  | 'Failed';

export interface MigrationState {
  migrationUid?: string;
  sourceNode?: string;
  sourcePod?: string;
  targetNode?: string;
  targetPod?: string;
  targetNodeAddress?: string;
  targetDirectMigrationNodePorts?: Record<string, number>;
  targetNodeDomainDetected?: boolean;
  targetNodeDomainReadyTimestamp?: string;
  startTimestamp?: string;
  endTimestamp?: string;
  completed?: boolean;
  failed?: boolean;
  failureReason?: string;
  abortRequested?: boolean;
  /** How an abort went (virt-launcher's domain metadata): InProgress, Succeeded or Failed. */
  abortStatus?: 'InProgress' | 'Succeeded' | 'Failed';
  mode?: 'PreCopy' | 'PostCopy' | 'Paused';
  migrationConfiguration?: Record<string, unknown>;
  targetMemoryOverhead?: string;
  [field: string]: unknown;
}

export interface Migration extends KubeObject {
  spec: { vmiName: string; addedNodeSelector?: Record<string, string>; priority?: string; [field: string]: unknown };
  status?: {
    phase?: MigrationPhase;
    phaseTransitionTimestamps?: Array<{ phase: MigrationPhase; phaseTransitionTimestamp: string }>;
    conditions?: Condition[];
    migrationState?: MigrationState;
    [field: string]: unknown;
  };
}

export const isMigrationFinal = (migration: Migration): boolean =>
  migration.status?.phase === 'Succeeded' || migration.status?.phase === 'Failed';
