/**
 * What a VM's run strategy asks for, given the VM and its VMI (vm.go
 * syncRunStrategy) — a pure decision; the VM controller carries it out.
 */
import { backoffRemainingMs } from './crash-loop.js';
import { isFinal, type RunStrategy, type VirtualMachine, type VirtualMachineInstance } from '../types.js';

export type RunAction =
  | { kind: 'none' }
  | { kind: 'start' }
  /** Delete the VMI; `thenRequestStart` appends a Start request (RerunOnFailure after a failure). */
  | { kind: 'stop'; thenRequestStart?: boolean }
  /** Halted with a Start request (virtctl start --paused): switch the spec to Always / running: true. */
  | { kind: 'switchToAlways' }
  /** A start is due but the crash-loop back-off has not passed yet. */
  | { kind: 'wait'; ms: number };

/** `spec.runStrategy`, or the legacy `spec.running` (true ≡ Always, false ≡ Halted). */
export function runStrategyOf(vm: VirtualMachine): RunStrategy {
  if (vm.spec.runStrategy) return vm.spec.runStrategy;
  return vm.spec.running ? 'Always' : 'Halted';
}

const firstRequest = (vm: VirtualMachine) => vm.status?.stateChangeRequests?.[0];
export const hasStartRequest = (vm: VirtualMachine): boolean => firstRequest(vm)?.action === 'Start';
export const hasStartPausedRequest = (vm: VirtualMachine): boolean => hasStartRequest(vm) && firstRequest(vm)?.data?.paused === 'true';
export const hasStopRequestFor = (vm: VirtualMachine, vmi: VirtualMachineInstance): boolean => {
  const request = firstRequest(vm);
  return request?.action === 'Stop' && request.uid !== undefined && request.uid === vmi.metadata.uid;
};

/** RerunOnFailure starts on an explicit request, or when the VM just switched to it (status.runStrategy still differs). */
const shouldStartRerunOnFailure = (vm: VirtualMachine): boolean => hasStartRequest(vm) || vm.status?.runStrategy !== 'RerunOnFailure';

const startUnlessBackingOff = (vm: VirtualMachine, nowMs: number): RunAction => {
  const ms = backoffRemainingMs(vm.status?.startFailure, nowMs);
  return ms > 0 ? { kind: 'wait', ms } : { kind: 'start' };
};

export function decideRunAction(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, nowMs: number): RunAction {
  switch (runStrategyOf(vm)) {
    case 'Always':
      if (vmi) return hasStopRequestFor(vm, vmi) || isFinal(vmi) ? { kind: 'stop' } : { kind: 'none' };
      return startUnlessBackingOff(vm, nowMs);
    case 'RerunOnFailure': {
      if (vmi) {
        const phase = vmi.status?.phase;
        if (vmi.metadata.deletionTimestamp || !(hasStopRequestFor(vm, vmi) || phase === 'Failed' || phase === 'Succeeded'))
          return { kind: 'none' };
        return { kind: 'stop', thenRequestStart: phase === 'Failed' };
      }
      return shouldStartRerunOnFailure(vm) ? startUnlessBackingOff(vm, nowMs) : { kind: 'none' };
    }
    case 'Manual':
      if (vmi) return hasStopRequestFor(vm, vmi) ? { kind: 'stop' } : { kind: 'none' };
      return hasStartRequest(vm) ? { kind: 'start' } : { kind: 'none' };
    case 'Halted':
      if (vmi) return { kind: 'stop' };
      return hasStartRequest(vm) ? { kind: 'switchToAlways' } : { kind: 'none' };
    case 'Once':
      return vmi ? { kind: 'none' } : { kind: 'start' };
    default:
      // WaitAsReceiver belongs to decentralized live migration, which the emulator does not simulate.
      return { kind: 'none' };
  }
}

/** Whether the VM is meant to be running now (isSetToStart). */
export function isSetToStart(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): boolean {
  switch (runStrategyOf(vm)) {
    case 'Always':
      return true;
    case 'Manual':
      return vmi ? !hasStopRequestFor(vm, vmi) : hasStartRequest(vm);
    case 'RerunOnFailure':
      return vmi ? vmi.status?.phase !== 'Succeeded' : shouldStartRerunOnFailure(vm);
    case 'Once':
      return vmi === undefined;
    default:
      return false;
  }
}
