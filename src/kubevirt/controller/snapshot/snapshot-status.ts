/**
 * The VirtualMachineSnapshot's status from its source and content
 * (updateSnapshotStatus in pkg/storage/snapshot/snapshot.go): mirrored
 * content fields, the phase (Failed past the deadline, Succeeded once the
 * content has a creation time, else InProgress or Deleting), conditions,
 * source indications while in progress and the included / excluded volumes
 * once succeeded.
 */
import type { KubeObject } from '../../../api/types.js';
import {
  isSnapshottable,
  parseDurationMs,
  progressCondition,
  withConditions,
  type SnapshotError,
  type TypedRef,
} from './snapshot-common.js';
import type { SourceState } from './snapshot-source.js';
import type { Condition, VmiSpec } from '../types.js';

export interface VolumeBackup {
  volumeName: string;
  persistentVolumeClaim: { metadata: KubeObject['metadata']; spec: Record<string, unknown> };
  volumeSnapshotName?: string;
}

export interface VolumeSnapshotStatus {
  volumeSnapshotName: string;
  creationTime?: string;
  readyToUse?: boolean;
  error?: SnapshotError;
}

export interface SnapshotContent extends KubeObject {
  spec: {
    virtualMachineSnapshotName?: string;
    source: { virtualMachine?: KubeObject & { spec?: { template?: { spec?: VmiSpec }; [field: string]: unknown } } };
    volumeBackups?: VolumeBackup[];
  };
  status?: { creationTime?: string; readyToUse?: boolean; error?: SnapshotError; volumeSnapshotStatus?: VolumeSnapshotStatus[] };
}

export interface SourceIndication {
  indication: string;
  message: string;
}

export interface VmSnapshotStatus {
  sourceUID?: string;
  virtualMachineSnapshotContentName?: string;
  creationTime?: string;
  phase?: string;
  readyToUse?: boolean;
  error?: SnapshotError;
  conditions?: Condition[];
  indications?: string[];
  sourceIndications?: SourceIndication[];
  snapshotVolumes?: { includedVolumes?: string[]; excludedVolumes?: string[] };
}

export interface VmSnapshot extends KubeObject {
  spec: { source: TypedRef; deletionPolicy?: 'Delete' | 'Retain'; failureDeadline?: string };
  status?: VmSnapshotStatus;
}

const DEFAULT_FAILURE_DEADLINE_MS = 5 * 60_000;

const INDICATION_MESSAGES: Record<string, string> = {
  Online: 'Snapshot taken while the VM was running. Consistency depends on guest-agent quiescing.',
  GuestAgent: 'Guest agent was active and attempted to quiesce the filesystem for application consistency.',
  NoGuestAgent: 'Guest agent was not available. Snapshot is crash-consistent and may not be application-consistent.',
  Paused: 'Snapshot taken while the VM was paused. Snapshot is crash-consistent and may not be application-consistent.',
  PartialSnapshot:
    'Not all snapshotable volumes were included in the snapshot. Check status.snapshotVolumes for excluded volumes and VM VolumeSnapshotStatus for details.',
};

export const contentNameOf = (snapshot: VmSnapshot): string =>
  snapshot.status?.virtualMachineSnapshotContentName ?? `vmsnapshot-content-${snapshot.metadata.uid ?? ''}`;

const failed = (snapshot: VmSnapshot): boolean => snapshot.status?.phase === 'Failed';
const succeeded = (snapshot: VmSnapshot): boolean => snapshot.status?.phase === 'Succeeded';
export const isProgressing = (snapshot: VmSnapshot): boolean => !failed(snapshot) && !succeeded(snapshot);

/** Milliseconds left before the failure deadline; undefined when the deadline is disabled (`0`). */
export function msUntilDeadline(snapshot: VmSnapshot, nowMs: number): number | undefined {
  const deadline = parseDurationMs(snapshot.spec.failureDeadline) ?? DEFAULT_FAILURE_DEADLINE_MS;
  if (deadline === 0) return undefined;
  return Date.parse(snapshot.metadata.creationTimestamp ?? '') + deadline - nowMs;
}

export function deadlineExceeded(snapshot: VmSnapshot, nowMs: number): boolean {
  if (failed(snapshot)) return true;
  if (!isProgressing(snapshot)) return false;
  const left = msUntilDeadline(snapshot, nowMs);
  return left !== undefined && left < 0;
}

export const isTerminating = (snapshot: VmSnapshot, nowMs: number): boolean =>
  snapshot.metadata.deletionTimestamp !== undefined || deadlineExceeded(snapshot, nowMs);

const contentReady = (content: SnapshotContent): boolean => content.status?.readyToUse === true;
export const shouldDeleteContent = (snapshot: VmSnapshot, content: SnapshotContent): boolean =>
  (snapshot.spec.deletionPolicy ?? 'Delete') === 'Delete' || !contentReady(content);

/** Done, or terminating with the content gone where it had to go. */
export const canUnlockSource = (snapshot: VmSnapshot, content: SnapshotContent | undefined, nowMs: number): boolean =>
  !isProgressing(snapshot) || (isTerminating(snapshot, nowMs) && (content === undefined || !shouldDeleteContent(snapshot, content)));

function indicationsOf(state: SourceState, previous: readonly string[] | undefined): string[] | undefined {
  if (!state.online) return undefined;
  const set = new Set(previous ?? []);
  set.add('Online');
  set.add(state.paused ? 'Paused' : state.guestAgent ? 'GuestAgent' : 'NoGuestAgent');
  return [...set].sort();
}

/** Every volume of the kept VM, included when it has a backup; a left-out PVC volume makes the snapshot partial. */
function snapshotVolumes(status: VmSnapshotStatus, content: SnapshotContent): void {
  const volumes = content.spec.source.virtualMachine?.spec?.template?.spec?.volumes;
  if (!volumes) return;
  const backedUp = new Set((content.spec.volumeBackups ?? []).map((b) => b.volumeName));
  const included = volumes.filter((v) => backedUp.has(v.name)).map((v) => v.name);
  const excluded = volumes.filter((v) => !backedUp.has(v.name));
  status.snapshotVolumes = {
    ...(included.length ? { includedVolumes: included } : {}),
    ...(excluded.length ? { excludedVolumes: excluded.map((v) => v.name) } : {}),
  };
  if (!excluded.some(isSnapshottable) || status.sourceIndications?.some((i) => i.indication === 'PartialSnapshot')) return;
  status.sourceIndications = [
    ...(status.sourceIndications ?? []),
    { indication: 'PartialSnapshot', message: INDICATION_MESSAGES.PartialSnapshot },
  ];
  if (!status.indications?.includes('PartialSnapshot')) status.indications = [...(status.indications ?? []), 'PartialSnapshot'];
}

export interface SnapshotStatusInput {
  snapshot: VmSnapshot;
  /** The source VM's UID and state; undefined when the VM does not exist. */
  source?: { uid: string; state: SourceState };
  content?: SnapshotContent;
  nowMs: number;
  now: string;
}

export function nextSnapshotStatus({ snapshot, source, content, nowMs, now }: SnapshotStatusInput): VmSnapshotStatus {
  const status: VmSnapshotStatus = structuredClone(snapshot.status ?? { readyToUse: false });
  if (source) status.sourceUID = source.uid;
  if (content?.status) {
    status.virtualMachineSnapshotContentName = content.metadata.name;
    status.creationTime = content.status.creationTime;
    status.readyToUse = content.status.readyToUse;
    status.error = content.status.error;
  }
  const view: VmSnapshot = { ...snapshot, status };
  const condition = (type: 'Progressing' | 'Ready' | 'Failure', value: 'True' | 'False', reason: string): void => {
    status.conditions = withConditions(status.conditions, progressCondition(type, value, reason, now));
  };
  if (deadlineExceeded(view, nowMs)) {
    status.phase = 'Failed';
    condition('Failure', 'True', 'snapshot deadline exceeded');
    condition('Progressing', 'False', 'Operation failed');
  } else if (succeeded(view) || status.creationTime !== undefined) {
    status.phase = 'Succeeded';
    condition('Progressing', 'False', 'Operation complete');
    if (content) snapshotVolumes(status, content);
  } else {
    status.phase = 'InProgress';
    if (source) {
      condition('Progressing', source.state.locked ? 'True' : 'False', source.state.lockMessage);
      const indications = indicationsOf(source.state, status.indications);
      status.indications = indications;
      status.sourceIndications = indications?.map((indication) => ({
        indication,
        message: INDICATION_MESSAGES[indication] ?? 'Unknown indication',
      }));
    } else {
      condition('Progressing', 'False', 'Source does not exist');
    }
    if (snapshot.metadata.deletionTimestamp) {
      status.phase = 'Deleting';
      condition('Progressing', 'False', 'VM snapshot is deleting');
    }
  }
  condition('Ready', status.readyToUse ? 'True' : 'False', status.readyToUse ? 'Ready' : 'Not ready');
  if (status.error) condition('Progressing', 'False', 'In error state');
  return JSON.parse(JSON.stringify(status)) as VmSnapshotStatus;
}
