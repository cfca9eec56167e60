/**
 * The VM as the source of a snapshot (pkg/storage/snapshot/source.go): its
 * state (online, paused, guest agent, locked), the lock itself (VM
 * `status.snapshotInProgress` plus the source-protection finalizer, only when
 * every claim exists, is bound and unused by other pods of a stopped VM, and
 * no other snapshot holds the VM) and the VM copy the content keeps.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import { hasCondition, findCondition } from '../conditions.js';
import { CONTROLLER_REVISION_REF, POD_REF, VM_REF } from '../constants.js';
import { statusCode } from '../errors.js';
import { claimsOfVolumes, FINALIZER_SNAPSHOT_SOURCE, setFinalizer, type Claim } from './snapshot-common.js';
import type { VirtualMachine, VirtualMachineInstance } from '../types.js';

export interface SnapshotVm extends VirtualMachine {
  status?: VirtualMachine['status'] & { snapshotInProgress?: string; restoreInProgress?: string };
}

export interface SourceState {
  online: boolean;
  paused: boolean;
  guestAgent: boolean;
  locked: boolean;
  lockMessage: string;
}

export function sourceState(vm: SnapshotVm, vmi: VirtualMachineInstance | undefined, snapshotName: string): SourceState {
  const locked = vm.status?.snapshotInProgress === snapshotName && (vm.metadata.finalizers ?? []).includes(FINALIZER_SNAPSHOT_SOURCE);
  return {
    online: vmi !== undefined,
    paused: vmi !== undefined && hasCondition(vmi.status?.conditions, 'Paused', 'True'),
    guestAgent: vmi !== undefined && findCondition(vmi.status?.conditions, 'AgentConnected') !== undefined,
    locked,
    lockMessage: locked ? 'Source locked and operation in progress' : 'Source not locked',
  };
}

export interface LockDeps {
  client: Client;
  claim: (namespace: string, name: string) => Claim | undefined;
}

/** Why a claim cannot be snapshotted yet (source.go's ErrVolume* errors), if it cannot. */
function claimProblem(claim: Claim | undefined, name: string): string | undefined {
  if (!claim) return `volume doesnt exist: ${name}`;
  if (claim.metadata.deletionTimestamp) return `volume is being deleted: ${name}`;
  if (claim.status?.phase !== 'Bound') return `volume not bound: ${name}`;
  return undefined;
}

/** Takes the lock for `snapshotName`; answers the message for the Progressing condition and whether it is held. */
export async function lockSource(
  deps: LockDeps,
  vm: SnapshotVm,
  state: SourceState,
  snapshotName: string,
): Promise<{ locked: boolean; message: string }> {
  if (state.locked) return { locked: true, message: state.lockMessage };
  const namespace = vm.metadata.namespace ?? '';
  const claims = [...new Set(claimsOfVolumes(vm.spec.template.spec).values())].sort();
  for (const name of claims) {
    const problem = claimProblem(deps.claim(namespace, name), name);
    if (problem) return { locked: false, message: `${state.lockMessage} source ${namespace}/${vm.metadata.name ?? ''} ${problem}` };
  }
  if (!state.online && claims.length > 0) {
    const pods = (await deps.client.list(POD_REF, { namespace })).items.filter((pod) =>
      ((pod.spec as { volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> } | undefined)?.volumes ?? []).some((v) =>
        claims.includes(v.persistentVolumeClaim?.claimName ?? ''),
      ),
    );
    if (pods.length > 0)
      return { locked: false, message: `${state.lockMessage} source is offline but ${pods.length} pods using PVCs [${claims.join(' ')}]` };
  }
  const holder = vm.status?.snapshotInProgress;
  if (holder !== undefined && holder !== snapshotName)
    return { locked: false, message: `${state.lockMessage} snapshot "${holder}" in progress` };
  let current = vm;
  if (holder === undefined)
    current = await deps.client.update<SnapshotVm>(
      { ...vm, status: { ...vm.status, snapshotInProgress: snapshotName } },
      { subresource: 'status' },
    );
  await setFinalizer(deps.client, VM_REF, current, FINALIZER_SNAPSHOT_SOURCE, true);
  return { locked: true, message: 'Source locked and operation in progress' };
}

/** Releases the lock if `snapshotName` holds it. */
export async function unlockSource(client: Client, vm: SnapshotVm, snapshotName: string): Promise<void> {
  if (vm.status?.snapshotInProgress !== snapshotName) return;
  const current = await setFinalizer(client, VM_REF, vm, FINALIZER_SNAPSHOT_SOURCE, false);
  const { snapshotInProgress: _released, ...status } = current.status ?? {};
  await client.update({ ...current, status }, { subresource: 'status' });
}

/** Metadata without managedFields (getSimplifiedMetaObject). */
const simplifiedMetadata = (vm: KubeObject): KubeObject['metadata'] => {
  const { managedFields: _dropped, ...metadata } = vm.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  return structuredClone(metadata);
};

/**
 * The VM kept in the content: a stopped VM as it is; a running one as it was
 * started (its start ControllerRevision), with today's volumes, disks and
 * DataVolume templates.
 */
export async function sourceVmCopy(client: Client, vm: SnapshotVm, vmi: VirtualMachineInstance | undefined): Promise<KubeObject> {
  const metadata = simplifiedMetadata(vm);
  if (!vmi) return { apiVersion: vm.apiVersion, kind: vm.kind, metadata, spec: structuredClone(vm.spec), status: {} } as KubeObject;
  const revisionName = vmi.status?.virtualMachineRevisionName ?? '';
  let revision: KubeObject;
  try {
    revision = await client.get(CONTROLLER_REVISION_REF, vm.metadata.namespace, revisionName);
  } catch (err) {
    if (statusCode(err) === 404) throw new Error(`vm revision ${revisionName} doesn't exist`);
    throw err;
  }
  const started = structuredClone((revision.data as { spec: VirtualMachine['spec'] }).spec);
  started.template.spec.volumes = structuredClone(vm.spec.template.spec.volumes);
  started.template.spec.domain.devices = {
    ...started.template.spec.domain.devices,
    disks: structuredClone(vm.spec.template.spec.domain.devices?.disks),
  };
  if (vm.spec.dataVolumeTemplates !== undefined) started.dataVolumeTemplates = structuredClone(vm.spec.dataVolumeTemplates);
  return { apiVersion: vm.apiVersion, kind: vm.kind, metadata, spec: started, status: {} } as KubeObject;
}
