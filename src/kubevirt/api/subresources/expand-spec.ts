/**
 * `GET virtualmachines/{name}/expand-spec` and `PUT expand-vm-spec`
 * (pkg/instancetype/expand): the VM as its VMI would be built, with disks
 * for its volumes, the default pod network, its instancetype and preference
 * applied and the VMI spec defaults set, without the matchers and status
 * refs. A VM without matchers comes back unchanged.
 */
import { StatusError, badRequest, internalError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import {
  applyToVmi,
  conflictMessage,
  type ApplicableSpec,
  type InstancetypeSpec,
  type PreferenceSpec,
} from '../../controller/instancetype/instancetype-apply.js';
import { findSpec, type Lookup } from '../../controller/instancetype/instancetype-revisions.js';
import type { VirtualMachine } from '../../controller/types.js';
import { withDefaultDisks, withDefaultNetwork } from '../../controller/vm/vmi-from-vm.js';
import { admissionConfig } from '../admission/config.js';
import type { VmiSpec } from '../admission/spec-types.js';
import { setDefaultVmiSpec } from '../admission/vmi-defaults.js';

export async function expandVm(lookup: Lookup, vm: VirtualMachine, kubevirt: KubeObject | undefined): Promise<VirtualMachine> {
  const spec = vm.spec as Record<string, unknown>;
  if (spec.instancetype === undefined && spec.preference === undefined) return vm;
  const instancetype = await findSpec<InstancetypeSpec>(lookup, vm, 'instancetype');
  const preference = await findSpec<PreferenceSpec>(lookup, vm, 'preference');
  const expanded = structuredClone(vm);
  const template = expanded.spec.template;
  withDefaultDisks(template.spec);
  withDefaultNetwork(template.spec);
  const conflicts = applyToVmi('spec.template.spec', instancetype, preference, template.spec as ApplicableSpec, (template.metadata ??= {}));
  if (conflicts.length > 0) throw new Error(conflictMessage(conflicts.join(', ')));
  setDefaultVmiSpec(template.spec as VmiSpec, admissionConfig(kubevirt));
  const expandedSpec = expanded.spec as Record<string, unknown>;
  delete expandedSpec.instancetype;
  delete expandedSpec.preference;
  if (expanded.status) {
    const status = expanded.status as Record<string, unknown>;
    delete status.instancetypeRef;
    delete status.preferenceRef;
  }
  return expanded;
}

/** GET expand-spec: any failure is an internal error. */
export const expandFailure = (err: unknown): StatusError => (err instanceof StatusError ? err : internalError((err as Error).message));

/** The VM a PUT expand-vm-spec sends, checked as virt-api does before expanding (400s). */
export function vmFromBody(body: Buffer | undefined, namespace: string): VirtualMachine {
  const text = body?.toString('utf8').trim() ?? '';
  if (text === '') throw badRequest('empty request body');
  let vm: VirtualMachine;
  try {
    vm = JSON.parse(text) as VirtualMachine;
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  if (typeof vm !== 'object' || vm === null || typeof vm.spec?.template !== 'object')
    throw badRequest('Object is not a valid VirtualMachine');
  if (vm.metadata?.namespace && vm.metadata.namespace !== namespace) throw badRequest(`VM namespace must be empty or ${namespace}`);
  return { ...vm, metadata: { ...vm.metadata, namespace } };
}
