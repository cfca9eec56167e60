/**
 * The VM controller's side of a memory dump (pkg/storage/memorydump/memorydump.go of KubeVirt v1.9). virt-api writes
 * status.memoryDumpRequest (Associating, or Dissociating for a removal); the controller then
 * - Associating: adds the claim as a hotplugged `memoryDump` volume to the template and the running VMI (the attachment
 *   pod and virt-handler do the rest) and moves to InProgress;
 * - InProgress: follows the VMI's volume status to Unmounting (dump completed, its file name recorded) or Failed;
 * - Unmounting / Failed: annotates the claim (`kubevirt.io/memory-dump`: the file, or "Memory dump failed") and takes
 *   the volume off the VMI; Unmounting ends Completed once the VMI no longer reports the volume;
 * - Dissociating: takes the volume off the VMI and the template, then drops the request.
 */
import type { VirtualMachine, VirtualMachineInstance, Volume } from '../types.js';

export type MemoryDumpPhase = 'Associating' | 'InProgress' | 'Unmounting' | 'Completed' | 'Dissociating' | 'Failed';

export interface MemoryDumpRequest {
  claimName: string;
  phase: MemoryDumpPhase;
  remove?: boolean;
  startTimestamp?: string;
  endTimestamp?: string;
  fileName?: string;
  message?: string;
}

/** v1.PVCMemoryDumpAnnotation. */
export const MEMORY_DUMP_ANNOTATION = 'kubevirt.io/memory-dump';
const DUMP_FAILED = 'Memory dump failed';

const requestOf = (vm: VirtualMachine): MemoryDumpRequest | undefined => vm.status?.memoryDumpRequest as MemoryDumpRequest | undefined;

const dumpVolume = (claimName: string): Volume => ({ name: claimName, memoryDump: { claimName, hotpluggable: true } });

export interface MemoryDumpActions {
  /** The template's new volume list, when it changes. */
  templateVolumes?: Volume[];
  /** The VMI's new volume list, when it changes. */
  vmiVolumes?: Volume[];
  /** The annotation value to put on the claim. */
  claimAnnotation?: { claimName: string; value: string };
}

/** HandleRequest: what the sync must change for the request. */
export function memoryDumpActions(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): MemoryDumpActions {
  const request = requestOf(vm);
  if (!request) return {};
  const claim = request.claimName;
  const templateVolumes = vm.spec.template.spec.volumes ?? [];
  const vmiVolumes = vmi?.spec.volumes ?? [];
  const inVmi = vmiVolumes.some((v) => v.name === claim);
  const actions: MemoryDumpActions = {};
  switch (request.phase) {
    case 'Associating':
      if (!vmi || vmi.metadata.deletionTimestamp || vmi.status?.phase !== 'Running') return actions;
      if (!templateVolumes.some((v) => v.name === claim)) actions.templateVolumes = [...templateVolumes, dumpVolume(claim)];
      if (!inVmi) actions.vmiVolumes = [...vmiVolumes, dumpVolume(claim)];
      return actions;
    case 'Unmounting':
    case 'Failed': {
      const value = request.phase === 'Failed' ? DUMP_FAILED : request.fileName;
      if (value !== undefined) actions.claimAnnotation = { claimName: claim, value };
      if (inVmi) actions.vmiVolumes = vmiVolumes.filter((v) => v.name !== claim);
      return actions;
    }
    case 'Dissociating':
      if (inVmi) actions.vmiVolumes = vmiVolumes.filter((v) => v.name !== claim);
      if (templateVolumes.some((v) => v.name === claim)) actions.templateVolumes = templateVolumes.filter((v) => v.name !== claim);
      return actions;
    default:
      return actions;
  }
}

type DumpVolumeStatus = {
  name: string;
  phase?: string;
  message?: string;
  memoryDumpVolume?: { startTimestamp?: string; endTimestamp?: string; targetFileName?: string };
};

/** UpdateRequest: the request's next state from the (updated) template and the VMI's volume status; undefined drops it. */
export function nextMemoryDumpRequest(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): MemoryDumpRequest | undefined {
  const request = requestOf(vm);
  if (!request) return undefined;
  const next: MemoryDumpRequest = { ...request };
  if (request.remove) next.phase = 'Dissociating';
  const claim = request.claimName;
  const statuses = (vmi?.status?.volumeStatus ?? []) as DumpVolumeStatus[];
  const reported = statuses.some((s) => s.name === claim);
  const inTemplate = (vm.spec.template.spec.volumes ?? []).some((v) => v.name === claim);
  switch (request.phase) {
    case 'Completed':
      return request;
    case 'Associating':
      if (inTemplate) next.phase = 'InProgress';
      break;
    case 'InProgress': {
      const status = statuses.find((s) => s.name === claim && s.memoryDumpVolume);
      if (!status?.memoryDumpVolume) break;
      if (status.memoryDumpVolume.startTimestamp) next.startTimestamp = status.memoryDumpVolume.startTimestamp;
      if (status.phase === 'MemoryDumpCompleted') {
        next.phase = 'Unmounting';
        next.endTimestamp = status.memoryDumpVolume.endTimestamp;
        next.fileName = status.memoryDumpVolume.targetFileName;
      } else if (status.phase === 'MemoryDumpFailed') {
        next.phase = 'Failed';
        next.message = status.message;
        next.endTimestamp = status.memoryDumpVolume.endTimestamp;
      }
      break;
    }
    case 'Unmounting':
      if (!reported) next.phase = 'Completed';
      break;
    case 'Dissociating':
      if (!reported && !inTemplate) return undefined;
      break;
  }
  return JSON.parse(JSON.stringify(next)) as MemoryDumpRequest;
}
