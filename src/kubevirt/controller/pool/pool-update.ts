/**
 * The pool controller's template rollout (pool.go update, isOutdatedVM,
 * opportunisticUpdate, proactiveUpdate, isOutdatedVMI, handleResourceUpdate):
 *
 * - every VM whose revision's VM template differs from the pool's is
 *   rewritten from the current template and labelled with the current
 *   revision (opportunistic: the change reaches the VMI on its next start);
 * - unless updateStrategy is opportunistic, a running VMI started from a
 *   different template is restarted (its VMI deleted, the VM starts a new
 *   one), at most maxUnavailable at a time counting VMIs not Ready, retried
 *   every 3 s; a VMI whose template is unchanged only gets the new revision
 *   label, and a change of dataVolumeTemplates deletes the whole VM (the pool
 *   then creates it again with the new DataVolumes).
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import type { EventRecorder } from '../../../runtime/events.js';
import type { Informer } from '../../../runtime/informer.js';
import { hasCondition } from '../conditions.js';
import { VM_REF, VMI_REF } from '../constants.js';
import { errorMessage } from '../errors.js';
import { jsonEqual } from '../../../kube/json-equal.js';
import type { VirtualMachine, VirtualMachineInstance } from '../types.js';
import { indexOfVm, indexVmSpec, LABEL_POOL_REVISION, type VirtualMachinePool } from './pool-vm.js';

/** pool.go defaultRetryDelay: how soon a rollout held back by maxUnavailable looks again. */
export const UPDATE_RETRY_MS = 3000;

type UpdateType = 'none' | 'restart' | 'label-patch' | 'vm-delete';

export interface PoolUpdateDeps {
  client: Client;
  recorder: EventRecorder;
  vmis: Informer<VirtualMachineInstance>;
  /** The pool spec a ControllerRevision of the pool holds, undefined when there is no such revision. */
  revisionSpec(namespace: string | undefined, name: string): VirtualMachinePool['spec'] | undefined;
}

export interface UpdateOutcome {
  /** No VM was outdated: revisions may be pruned. */
  stable: boolean;
  /** Held back by maxUnavailable: look again after this long. */
  retryAfterMs?: number;
}

const revisionOf = (obj: KubeObject): string | undefined => obj.metadata.labels?.[LABEL_POOL_REVISION];

function isOutdatedVm(deps: PoolUpdateDeps, pool: VirtualMachinePool, vm: VirtualMachine): boolean {
  const revision = revisionOf(vm);
  const spec = revision ? deps.revisionSpec(pool.metadata.namespace, revision) : undefined;
  return !spec || !jsonEqual(spec.virtualMachineTemplate, pool.spec.virtualMachineTemplate);
}

/** isOutdatedVMI: what the VMI needs, comparing the pool revisions the VM and the VMI were made from. */
function vmiUpdateType(deps: PoolUpdateDeps, vm: VirtualMachine, vmi: VirtualMachineInstance): UpdateType {
  const vmRevision = revisionOf(vm);
  if (!vmRevision) return 'none';
  const vmiRevision = revisionOf(vmi);
  if (!vmiRevision) return 'restart';
  if (vmRevision === vmiRevision) return 'none';
  const expected = deps.revisionSpec(vm.metadata.namespace, vmRevision)?.virtualMachineTemplate.spec;
  if (!expected) return 'none';
  const current = deps.revisionSpec(vm.metadata.namespace, vmiRevision)?.virtualMachineTemplate.spec;
  if (!current) return 'restart';
  if (!jsonEqual(current.dataVolumeTemplates, expected.dataVolumeTemplates)) return 'vm-delete';
  return jsonEqual(current.template, expected.template) ? 'label-patch' : 'restart';
}

const isVmiReady = (vmi: VirtualMachineInstance | undefined): boolean =>
  vmi !== undefined &&
  !vmi.metadata.deletionTimestamp &&
  vmi.status?.phase === 'Running' &&
  hasCondition(vmi.status?.conditions, 'Ready', 'True');

/** calculateMaxUnavailableInt: an absolute number or a percentage of replicas (rounded down), at least 1. */
export function maxUnavailableOf(pool: VirtualMachinePool): number {
  const value = pool.spec.maxUnavailable ?? '100%';
  const replicas = pool.spec.replicas ?? 1;
  const count = typeof value === 'number' ? value : Math.floor((replicas * Number.parseInt(value.replace(/%$/, ''), 10)) / 100);
  return Math.max(Number.isFinite(count) ? count : 0, 1);
}

/** opportunisticUpdate of one VM: the current template, revision labels, and the identity the VM was created with. */
async function rewriteVm(deps: PoolUpdateDeps, pool: VirtualMachinePool, vm: VirtualMachine, revision: string): Promise<void> {
  const template = pool.spec.virtualMachineTemplate;
  const spec = indexVmSpec(pool, indexOfVm(vm.metadata.name ?? ''));
  spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, [LABEL_POOL_REVISION]: revision } };
  const firmware = (vm.spec.template.spec.domain as { firmware?: { uuid?: string; serial?: string } } | undefined)?.firmware;
  if (firmware) {
    const domain = (spec.template.spec.domain ??= {}) as { firmware?: Record<string, unknown> };
    domain.firmware = {
      ...domain.firmware,
      ...(firmware.uuid ? { uuid: firmware.uuid } : {}),
      ...(firmware.serial ? { serial: firmware.serial } : {}),
    };
  }
  const metadata = { ...vm.metadata, labels: { ...template.metadata?.labels, [LABEL_POOL_REVISION]: revision } };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  else delete metadata.annotations;
  try {
    await deps.client.update<VirtualMachine>({ ...vm, metadata, spec });
  } catch (err) {
    // pool.go prints name and namespace in this order.
    const message = `Error updating virtual machine ${vm.metadata.name ?? ''}/${vm.metadata.namespace ?? ''}: ${errorMessage(err)}`;
    void deps.recorder.event(pool, 'Warning', 'FailedUpdate', message);
    throw err;
  }
  void deps.recorder.event(pool, 'Normal', 'SuccessfulUpdate', `Updated VM ${vm.metadata.namespace ?? ''}/${vm.metadata.name ?? ''}`);
}

/** handleResourceUpdate: restart the VMI, delete the VM, or move the VMI's revision label. */
async function applyUpdate(
  deps: PoolUpdateDeps,
  pool: VirtualMachinePool,
  vm: VirtualMachine,
  vmi: VirtualMachineInstance,
  type: UpdateType,
) {
  if (type === 'none') return;
  const { client } = deps;
  const name = `${vm.metadata.namespace ?? ''}/${vm.metadata.name ?? ''}`;
  try {
    if (type === 'restart') await client.delete(VMI_REF, vmi.metadata.namespace, vmi.metadata.name ?? '');
    else if (type === 'vm-delete')
      await client.delete(VM_REF, vm.metadata.namespace, vm.metadata.name ?? '', { propagationPolicy: 'Foreground' });
    else {
      const labels = { ...vmi.metadata.labels, [LABEL_POOL_REVISION]: revisionOf(vm) ?? '' };
      const operations = vmi.metadata.labels
        ? [
            { op: 'test', path: '/metadata/labels', value: vmi.metadata.labels },
            { op: 'replace', path: '/metadata/labels', value: labels },
          ]
        : [{ op: 'add', path: '/metadata/labels', value: labels }];
      await client.patch(VMI_REF, vmi.metadata.namespace, vmi.metadata.name ?? '', 'json', operations);
    }
  } catch (err) {
    void deps.recorder.event(pool, 'Warning', 'FailedUpdate', `Error updating resource ${name}: ${errorMessage(err)}`);
    throw err;
  }
  void deps.recorder.event(pool, 'Normal', 'SuccessfulDelete', `Successfully updated resource ${name}`);
}

/** proactiveUpdate: not-Ready VMs first, then the rest within maxUnavailable. */
async function proactiveUpdate(deps: PoolUpdateDeps, pool: VirtualMachinePool, vms: VirtualMachine[]): Promise<number | undefined> {
  const vmiOf = (vm: VirtualMachine) => deps.vmis.getByName(vm.metadata.namespace, vm.metadata.name ?? '');
  for (const vm of vms.filter((v) => !hasCondition(v.status?.conditions, 'Ready', 'True'))) {
    const vmi = vmiOf(vm);
    if (vmi && !vmi.metadata.deletionTimestamp) await applyUpdate(deps, pool, vm, vmi, vmiUpdateType(deps, vm, vmi));
  }
  let updatable = maxUnavailableOf(pool) - vms.filter((vm) => !isVmiReady(vmiOf(vm))).length;
  for (const vm of vms) {
    if (updatable <= 0) return UPDATE_RETRY_MS;
    const vmi = vmiOf(vm);
    if (!vmi) continue;
    const type = vmiUpdateType(deps, vm, vmi);
    if (type === 'none') continue;
    await applyUpdate(deps, pool, vm, vmi, type);
    updatable--;
  }
  return undefined;
}

/** pool.go update, after scaling is stable. Throws the first failure (the caller reports FailedUpdate). */
export async function updatePool(
  deps: PoolUpdateDeps,
  pool: VirtualMachinePool,
  vms: VirtualMachine[],
  ensureRevision: () => Promise<string>,
): Promise<UpdateOutcome> {
  const strategy = pool.spec.updateStrategy;
  if (strategy?.unmanaged) return { stable: true };
  const live = vms.filter((vm) => !vm.metadata.deletionTimestamp);
  const outdated = live.filter((vm) => isOutdatedVm(deps, pool, vm));
  try {
    // The current generation's revision is made only when some VM moves to it.
    const revision = outdated.length > 0 ? await ensureRevision() : '';
    for (const vm of outdated) await rewriteVm(deps, pool, vm, revision);
  } catch (err) {
    throw new Error(`error during VM update: ${errorMessage(err)}`);
  }
  let retryAfterMs: number | undefined;
  if (!strategy?.opportunistic) {
    try {
      retryAfterMs = await proactiveUpdate(
        deps,
        pool,
        live.filter((vm) => !outdated.includes(vm)),
      );
    } catch (err) {
      throw new Error(`error during VMI update: ${errorMessage(err)}`);
    }
  }
  return { stable: outdated.length === 0, retryAfterMs };
}
