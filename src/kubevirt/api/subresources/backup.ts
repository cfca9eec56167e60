/**
 * virtualmachineinstances/{backup,redefine-checkpoint} (pkg/virt-api/rest/lifecycle.go of KubeVirt v1.9): virt-api
 * checks the VMI, then hands the request to virt-handler, whose launcher drives libvirt's incremental backup. The
 * checks answer as virt-api's; the simulated virt-handler has no libvirt to back up from, so a request that passes
 * them gets the 500 virt-api relays when the handler fails.
 */
import { type StatusError, internalError } from '../../../api/errors.js';
import type { VirtualMachineInstance } from '../../controller/types.js';
import { MESSAGES, vmiConflict } from './responses.js';

const NOT_SIMULATED = 'the emulated virt-handler takes no VM backups';

export function backupProblem(vmi: VirtualMachineInstance): StatusError {
  if (vmi.status?.phase !== 'Running') return vmiConflict(vmi.metadata.name ?? '', MESSAGES.vmNotRunning);
  return internalError(NOT_SIMULATED);
}

export function redefineCheckpointProblem(vmi: VirtualMachineInstance): StatusError {
  const tracking = vmi.status?.changedBlockTracking as { state?: string } | undefined;
  if (tracking?.state !== 'Enabled') return vmiConflict(vmi.metadata.name ?? '', 'ChangedBlockTracking is not enabled');
  return internalError(NOT_SIMULATED);
}
