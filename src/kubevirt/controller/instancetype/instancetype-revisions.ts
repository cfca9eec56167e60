/**
 * Finding the instancetype and preference a VM references and pinning
 * them (pkg/instancetype/find, preference/find, revision/store.go): on its
 * first sync a VM stores each referenced object in a ControllerRevision
 * `<vm>-<object>-<version>-<uid>-<generation>` and points
 * `status.instancetypeRef`/`preferenceRef` at it, so later edits of the
 * object do not change the VM until its matcher changes.
 */
import type { KubeObject } from '../../../api/types.js';
import type { KindRef } from '../../../client/client.js';
import { CONTROLLER_REVISION_REF } from '../constants.js';
import type { InstancetypeSpec, PreferenceSpec } from './instancetype-apply.js';
import type { VirtualMachine } from '../types.js';
import { vmControllerRef } from '../vm/vm-owner-reference.js';

export const INSTANCETYPE_API_VERSION = 'instancetype.kubevirt.io/v1beta1';
const LABEL_PREFIX = 'instancetype.kubevirt.io/object-';

export interface Matcher {
  name?: string;
  kind?: string;
  revisionName?: string;
  inferFromVolume?: string;
  inferFromVolumeFailurePolicy?: string;
}

export interface StatusRef {
  name?: string;
  kind?: string;
  controllerRevisionRef?: { name: string };
  inferFromVolume?: string;
  inferFromVolumeFailurePolicy?: string;
}

export type MatcherRole = 'instancetype' | 'preference';

interface RoleKinds {
  cluster: string;
  namespaced: string;
  /** The sync error reason when the object cannot be found. */
  findFailure: string;
  statusField: 'instancetypeRef' | 'preferenceRef';
}

export const ROLES: Record<MatcherRole, RoleKinds> = {
  instancetype: {
    cluster: 'VirtualMachineClusterInstancetype',
    namespaced: 'VirtualMachineInstancetype',
    findFailure: 'FailedFindInstancetype',
    statusField: 'instancetypeRef',
  },
  preference: {
    cluster: 'VirtualMachineClusterPreference',
    namespaced: 'VirtualMachinePreference',
    findFailure: 'FailedFindPreference',
    statusField: 'preferenceRef',
  },
};

/** Reads one object; undefined when it does not exist. */
export type Lookup = (ref: KindRef, namespace: string | undefined, name: string) => Promise<KubeObject | undefined>;

export const matcherOf = (vm: VirtualMachine, role: MatcherRole): Matcher | undefined =>
  (vm.spec as Record<string, unknown>)[role] as Matcher | undefined;

export const statusRefOf = (vm: VirtualMachine, role: MatcherRole): StatusRef | undefined =>
  (vm.status as Record<string, unknown> | undefined)?.[ROLES[role].statusField] as StatusRef | undefined;

/** The kind a matcher names: its singular or plural resource name in any case; empty means the cluster-scoped kind. */
export function matcherKind(role: MatcherRole, matcher: Matcher): string {
  const kinds = ROLES[role];
  const kind = (matcher.kind ?? '').toLowerCase();
  if (kind === kinds.namespaced.toLowerCase() || kind === `${kinds.namespaced.toLowerCase()}s`) return kinds.namespaced;
  if (kind === '' || kind === kinds.cluster.toLowerCase() || kind === `${kinds.cluster.toLowerCase()}s`) return kinds.cluster;
  throw new Error(`got unexpected kind in ${role === 'instancetype' ? 'InstancetypeMatcher' : 'PreferenceMatcher'}: ${matcher.kind ?? ''}`);
}

/** The object a matcher names, read through `lookup`; throws the API's not-found text when it is missing. */
export async function findObject(lookup: Lookup, vm: VirtualMachine, role: MatcherRole, matcher: Matcher): Promise<KubeObject> {
  const kind = matcherKind(role, matcher);
  const namespaced = kind === ROLES[role].namespaced;
  const name = matcher.name ?? '';
  const found = await lookup({ apiVersion: INSTANCETYPE_API_VERSION, kind }, namespaced ? vm.metadata.namespace : undefined, name);
  if (!found) throw new Error(`${kind.toLowerCase()}s.instancetype.kubevirt.io "${name}" not found`);
  return found;
}

/** The revision the VM is pinned to: the matcher's own revisionName, else the status ref of the same name and kind. */
function pinnedRevisionName(vm: VirtualMachine, role: MatcherRole, matcher: Matcher): string | undefined {
  if (matcher.revisionName) return matcher.revisionName;
  const ref = statusRefOf(vm, role);
  const sameMatcher =
    ref?.name === matcher.name &&
    (matcher.kind === undefined || ref?.kind === matcher.kind) &&
    ref?.inferFromVolume === matcher.inferFromVolume;
  return sameMatcher ? ref?.controllerRevisionRef?.name : undefined;
}

/**
 * The spec a VM's matcher resolves to: from its pinned ControllerRevision
 * when there is one, else from the object itself. Undefined without a
 * matcher; throws when the object (or the pinned revision) is missing.
 */
export async function findSpec<T extends InstancetypeSpec | PreferenceSpec>(
  lookup: Lookup,
  vm: VirtualMachine,
  role: MatcherRole,
): Promise<T | undefined> {
  const matcher = matcherOf(vm, role);
  if (!matcher || (!matcher.name && !matcher.inferFromVolume)) return undefined;
  const revisionName = pinnedRevisionName(vm, role, matcher);
  if (revisionName) {
    const revision = await lookup(CONTROLLER_REVISION_REF, vm.metadata.namespace, revisionName);
    if (!revision) throw new Error(`controllerrevisions.apps "${revisionName}" not found`);
    return ((revision.data as { spec?: T } | undefined)?.spec ?? {}) as T;
  }
  return ((await findObject(lookup, vm, role, matcher)).spec ?? {}) as T;
}

/** The ControllerRevision storing `object` for `vm` (revision.CreateControllerRevision). */
export function revisionFor(vm: VirtualMachine, object: KubeObject): KubeObject {
  const version = object.apiVersion.split('/').pop() ?? '';
  const { uid = '', generation = 1, name = '' } = object.metadata;
  const data: KubeObject = {
    ...structuredClone(object),
    metadata: {
      name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      uid,
      resourceVersion: object.metadata.resourceVersion,
      generation,
      creationTimestamp: object.metadata.creationTimestamp,
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${vm.metadata.name ?? ''}-${name}-${version}-${uid}-${generation}`,
      namespace: vm.metadata.namespace,
      labels: {
        [`${LABEL_PREFIX}generation`]: String(generation),
        [`${LABEL_PREFIX}kind`]: object.kind,
        [`${LABEL_PREFIX}name`]: name,
        [`${LABEL_PREFIX}uid`]: uid,
        [`${LABEL_PREFIX}version`]: version,
      },
      ownerReferences: [vmControllerRef(vm)],
    },
    data,
    revision: 0,
  };
}

/**
 * The status ref for `role` after syncing it with the matcher
 * (syncStatusWithMatcher): a changed name, kind or volume drops the stored
 * revision; `store` is called to pin a new one when none is referenced.
 */
export async function syncStatusRef(
  vm: VirtualMachine,
  role: MatcherRole,
  store: (matcher: Matcher) => Promise<string>,
): Promise<StatusRef | undefined> {
  const matcher = matcherOf(vm, role);
  if (!matcher) return undefined;
  const ref: StatusRef = structuredClone(statusRefOf(vm, role) ?? {});
  let changed = false;
  for (const field of ['name', 'kind', 'inferFromVolume'] as const) {
    if (matcher[field] && matcher[field] !== ref[field]) {
      ref[field] = matcher[field];
      changed = true;
    }
  }
  if (changed) delete ref.controllerRevisionRef;
  if (matcher.inferFromVolumeFailurePolicy) ref.inferFromVolumeFailurePolicy = matcher.inferFromVolumeFailurePolicy;
  if (matcher.revisionName) ref.controllerRevisionRef = { name: matcher.revisionName };
  if (!ref.controllerRevisionRef) ref.controllerRevisionRef = { name: await store(matcher) };
  return ref;
}
