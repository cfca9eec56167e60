/**
 * virt-controller's ControllerRevision upgrade (pkg/instancetype/upgrade/
 * handler.go): a VM whose status points at a revision not labelled with the
 * latest object version (`instancetype.kubevirt.io/object-version:
 * v1beta1`), as older KubeVirt releases stored them (named without the
 * version, no version label), gets a new revision of the stored object
 * under today's name and labels; the VM status is patched to it (a JSON
 * patch testing the old name) and the old revision is deleted.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import { CONTROLLER_REVISION_REF } from '../constants.js';
import type { VirtualMachine } from '../types.js';
import { INSTANCETYPE_API_VERSION, matcherOf, revisionFor, ROLES, statusRefOf, type MatcherRole } from './instancetype-revisions.js';

const LATEST_VERSION = 'v1beta1';
const VERSION_LABEL = 'instancetype.kubevirt.io/object-version';
const STORED_KINDS = [
  'VirtualMachineInstancetype',
  'VirtualMachineClusterInstancetype',
  'VirtualMachinePreference',
  'VirtualMachineClusterPreference',
];

/** compatibility.Decode: the stored object, which must be one of the four kinds in the latest version. */
function storedObject(revision: KubeObject): KubeObject {
  const data = revision.data as KubeObject | undefined;
  if (!data || typeof data !== 'object') throw new Error('failed to decode object in ControllerRevision: no data');
  if (data.apiVersion !== INSTANCETYPE_API_VERSION || !STORED_KINDS.includes(data.kind))
    throw new Error(`unexpected type in ControllerRevision: ${data.apiVersion ?? ''}, Kind=${data.kind ?? ''}`);
  return data;
}

/** One role's revision brought up to date: the JSON patch operations for the VM status and the revision to delete. */
async function upgradeRole(
  client: Client,
  vm: VirtualMachine,
  role: MatcherRole,
): Promise<{ operations: object[]; obsolete: string } | undefined> {
  const name = statusRefOf(vm, role)?.controllerRevisionRef?.name;
  if (!matcherOf(vm, role) || !name) return undefined;
  const original = await client.get(CONTROLLER_REVISION_REF, vm.metadata.namespace, name);
  if (original.metadata.labels?.[VERSION_LABEL] === LATEST_VERSION) return undefined;
  const upgraded = revisionFor(vm, storedObject(original));
  const created = await client.create(upgraded);
  const path = `/status/${ROLES[role].statusField}/controllerRevisionRef/name`;
  return {
    operations: [
      { op: 'test', path, value: name },
      { op: 'replace', path, value: created.metadata.name },
    ],
    obsolete: name,
  };
}

/** Upgrades the VM's instancetype and preference revisions; answers the VM as stored after the status patch. */
export async function upgradeRevisions(client: Client, vm: VirtualMachine): Promise<VirtualMachine> {
  const upgrades = [];
  for (const role of ['instancetype', 'preference'] as const) {
    const upgrade = await upgradeRole(client, vm, role);
    if (upgrade) upgrades.push(upgrade);
  }
  if (upgrades.length === 0) return vm;
  const patched = await client.patch<VirtualMachine>(
    { apiVersion: vm.apiVersion, kind: vm.kind },
    vm.metadata.namespace,
    vm.metadata.name ?? '',
    'json',
    upgrades.flatMap((u) => u.operations),
    { subresource: 'status' },
  );
  // handler.go only logs a failed delete: the VM already points at the new revision.
  for (const { obsolete } of upgrades) await client.delete(CONTROLLER_REVISION_REF, vm.metadata.namespace, obsolete).catch(() => undefined);
  return patched;
}
