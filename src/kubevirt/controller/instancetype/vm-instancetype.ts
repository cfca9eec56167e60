/**
 * The VM controller's instancetype steps (pkg/instancetype/controller/vm):
 * pin the referenced instancetype and preference in ControllerRevisions and
 * record them in the VM status, then expand them into each VMI it starts,
 * annotated with the names they came from.
 */
import type { Client } from '../../../client/client.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { statusCode } from '../errors.js';
import { upgradeRevisions } from './instancetype-upgrade.js';
import { applyToVmi, type ApplicableSpec, type InstancetypeSpec, type PreferenceSpec } from './instancetype-apply.js';
import {
  findObject,
  findSpec,
  matcherKind,
  matcherOf,
  revisionFor,
  ROLES,
  statusRefOf,
  syncStatusRef,
  type Lookup,
  type MatcherRole,
  type StatusRef,
} from './instancetype-revisions.js';
import { jsonEqual } from '../../../kube/json-equal.js';
import type { VirtualMachine, VirtualMachineInstance } from '../types.js';
import type { SyncError } from '../vmi/vmi-status.js';

const ROLE_NAMES: MatcherRole[] = ['instancetype', 'preference'];

/** A lookup through the API: 404 reads as absent. */
export const clientLookup =
  (client: Client): Lookup =>
  async (ref, namespace, name) => {
    try {
      return await client.get(ref, namespace, name);
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  };

/**
 * Stores a revision for every matcher without one, writes the status refs
 * when they changed and upgrades revisions of older releases. Returns the VM
 * as stored, or the sync error of the first matcher whose object is missing
 * or of a failed upgrade.
 */
export async function syncInstancetypeRefs(
  client: Client,
  vm: VirtualMachine,
  recorder?: EventRecorder,
): Promise<{ vm: VirtualMachine; syncError?: SyncError }> {
  const lookup = clientLookup(client);
  const refs: Partial<Record<string, StatusRef>> = {};
  for (const role of ROLE_NAMES) {
    try {
      refs[ROLES[role].statusField] = await syncStatusRef(vm, role, async (matcher) => {
        const revision = revisionFor(vm, await findObject(lookup, vm, role, matcher));
        try {
          await client.create(revision);
        } catch (err) {
          if (statusCode(err) !== 409) throw err;
        }
        return revision.metadata.name ?? '';
      });
    } catch (err) {
      return { vm, syncError: { reason: ROLES[role].findFailure, message: (err as Error).message, requeue: true } };
    }
  }
  const unchanged = ROLE_NAMES.every((role) => jsonEqual(refs[ROLES[role].statusField], statusRefOf(vm, role)));
  if (!unchanged) {
    const status = { ...(vm.status ?? {}), ...refs };
    for (const role of ROLE_NAMES) if (!refs[ROLES[role].statusField]) delete (status as Record<string, unknown>)[ROLES[role].statusField];
    vm = await client.update<VirtualMachine>({ ...vm, status }, { subresource: 'status' });
  }
  // Revisions stored by older releases are brought up to the latest object version before anything else.
  try {
    return { vm: await upgradeRevisions(client, vm) };
  } catch (err) {
    const message = `error encountered while upgrading instancetype.kubevirt.io controllerRevisions: ${(err as Error).message}`;
    void recorder?.event(vm, 'Warning', 'FailedCreate', message);
    return { vm, syncError: { reason: 'FailedCreate', message, requeue: true } };
  }
}

/** `kubevirt.io/<cluster-|>instancetype-name` and the preference's counterpart (annotations.go). */
function nameAnnotations(vm: VirtualMachine): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const role of ROLE_NAMES) {
    const matcher = matcherOf(vm, role);
    if (!matcher?.name) continue;
    const cluster = matcherKind(role, matcher) === ROLES[role].cluster;
    annotations[`kubevirt.io/${cluster ? 'cluster-' : ''}${role}-name`] = matcher.name;
  }
  return annotations;
}

/**
 * Applies the VM's instancetype and preference to the VMI it is about to
 * create; throws `VMI conflicts with instancetype spec in fields: [...]` on
 * a conflict and the lookup error when an object is missing.
 */
export async function expandIntoVmi(lookup: Lookup, vm: VirtualMachine, vmi: VirtualMachineInstance): Promise<void> {
  const instancetype = await findSpec<InstancetypeSpec>(lookup, vm, 'instancetype');
  const preference = await findSpec<PreferenceSpec>(lookup, vm, 'preference');
  if (!instancetype && !preference) return;
  // Applied in place, deep inside the spec, which may share frozen parts with the VM's template: on a copy.
  vmi.spec = structuredClone(vmi.spec);
  const conflicts = applyToVmi('spec', instancetype, preference, vmi.spec as ApplicableSpec, vmi.metadata);
  if (conflicts.length > 0)
    throw new Error(`Failed to apply instancetype: VMI conflicts with instancetype spec in fields: [${conflicts.join(', ')}]`);
  vmi.metadata.annotations = { ...vmi.metadata.annotations, ...nameAnnotations(vm) };
}
