/**
 * The VM admitter's instancetype step (pkg/instancetype/webhooks/vm): the
 * referenced instancetype and preference are applied to a copy of the
 * template, and every field both the template and the instancetype set is
 * one cause. A missing object is no admission error (the VM controller
 * reports it), so lookups that fail are ignored here.
 */
import {
  applyToVmi,
  conflictMessage,
  type ApplicableSpec,
  type InstancetypeSpec,
  type PreferenceSpec,
} from '../../controller/instancetype/instancetype-apply.js';
import { findSpec, type Lookup, type MatcherRole } from '../../controller/instancetype/instancetype-revisions.js';
import type { VirtualMachine } from '../../controller/types.js';
import { cause, type Cause } from './responses.js';

async function findOrIgnore<T extends InstancetypeSpec | PreferenceSpec>(
  lookup: Lookup,
  vm: VirtualMachine,
  role: MatcherRole,
): Promise<T | undefined> {
  try {
    return await findSpec<T>(lookup, vm, role);
  } catch {
    return undefined;
  }
}

/**
 * Expands the VM's instancetype and preference into `spec` (a copy of the template spec): the causes of its conflicts,
 * and the specs found, which the preference requirements are checked against once the defaults are set.
 */
export async function applyInstancetypeToTemplate(
  lookup: Lookup,
  vm: VirtualMachine,
  spec: ApplicableSpec,
): Promise<{ conflicts: Cause[]; instancetype?: InstancetypeSpec; preference?: PreferenceSpec }> {
  const instancetype = await findOrIgnore<InstancetypeSpec>(lookup, vm, 'instancetype');
  const preference = await findOrIgnore<PreferenceSpec>(lookup, vm, 'preference');
  if (!instancetype && !preference) return { conflicts: [] };
  const metadata = { annotations: { ...(vm.spec.template.metadata?.annotations ?? {}) } };
  const conflicts = applyToVmi('spec.template.spec', instancetype, preference, spec, metadata).map((path) =>
    cause('FieldValueInvalid', conflictMessage(path), path),
  );
  return { conflicts, instancetype, preference };
}
