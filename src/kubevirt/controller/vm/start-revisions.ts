/**
 * The ControllerRevision `revision-start-vm-<vm uid>-<generation>` that holds the VM spec a VMI starts from
 * (virt-controller's createVMRevision). A VM keeps one: a start first deletes the VM's start revisions of other
 * generations (deleteOlderVMRevision) and creates none when its generation's exists. They are found through the
 * revision informer's "vm" index (the owning VM's uid), so a start costs the VM's own revisions, not every revision
 * of the namespace. The last one goes with the VM: it is owned by it, and the garbage collector follows that.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import type { Informer } from '../../../runtime/informer.js';
import { CONTROLLER_REVISION_REF } from '../constants.js';
import { statusCode } from '../errors.js';
import type { VirtualMachine } from '../types.js';
import { vmControllerRef } from './vm-owner-reference.js';

/** virt-controller's ControllerRevision index "vm" (GetControllerRevisionInformerIndexers). */
const REVISIONS_BY_VM_UID = 'virt-controller/vm';

/** vmRevisionName: what every start revision of the VM with this uid is named after. */
const startRevisionPrefix = (vmUid: string): string => `revision-start-vm-${vmUid}`;

/** getVMRevisionName: the start revision of the VM's current generation. */
export const vmRevisionName = (vm: VirtualMachine): string =>
  `${startRevisionPrefix(vm.metadata.uid ?? '')}-${vm.metadata.generation ?? 1}`;

/**
 * Indexes the shared ControllerRevision informer, once, by the uid of the first owner reference of kind
 * VirtualMachine, as virt-controller's "vm" index does (controller or not).
 */
export function indexRevisionsByVm(revisions: Informer): void {
  revisions.ensureIndexer(REVISIONS_BY_VM_UID, (revision) => {
    const owner = revision.metadata.ownerReferences?.find((ref) => ref.kind === 'VirtualMachine');
    return owner ? [owner.uid] : [];
  });
}

/** createVMRevision: the name of the VM's start revision for its current generation, created unless it exists. */
export async function createStartRevision(client: Client, revisions: Informer, vm: VirtualMachine): Promise<string> {
  const name = vmRevisionName(vm);
  if (await deleteOlderStartRevisions(client, revisions, vm)) return name;
  const revision: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: vm.metadata.namespace,
      ownerReferences: [vmControllerRef(vm)],
    },
    data: { spec: vm.spec },
    revision: vm.metadata.generation ?? 1,
  };
  try {
    await client.create(revision);
  } catch (err) {
    // The informer may not show yet a revision this controller has just created.
    if (statusCode(err) !== 409) throw err;
  }
  return name;
}

/** deleteOlderVMRevision: deletes the VM's start revisions of other generations; true when its generation's exists. */
async function deleteOlderStartRevisions(client: Client, revisions: Informer, vm: VirtualMachine): Promise<boolean> {
  const prefix = startRevisionPrefix(vm.metadata.uid ?? '');
  const generation = vm.metadata.generation ?? 1;
  let current = false;
  for (const revision of revisions.byIndex(REVISIONS_BY_VM_UID, vm.metadata.uid ?? '')) {
    if (!revision.metadata.name?.startsWith(prefix)) continue;
    if (revision.revision === generation) {
      current = true;
      continue;
    }
    try {
      await client.delete(CONTROLLER_REVISION_REF, revision.metadata.namespace, revision.metadata.name ?? '');
    } catch (err) {
      // The informer may still show a revision this controller has just deleted.
      if (statusCode(err) !== 404) throw err;
    }
  }
  return current;
}
