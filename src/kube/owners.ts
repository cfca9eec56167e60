/**
 * Owner references as controllers use them: the controller reference a
 * parent stamps on its children, and adoption/release of children whose
 * labels start or stop matching the parent's selector (client-go's
 * ControllerRefManager), so orphans left by `--cascade=orphan` are taken
 * back by a new parent.
 */
import { matchLabelSelector, type LabelSelectorObject } from '../api/selectors/label-selector.js';
import type { KubeObject, OwnerReference } from '../api/types.js';
import type { Client } from '../client/client.js';

export const controllerRefOf = (obj: KubeObject): OwnerReference | undefined => obj.metadata.ownerReferences?.find((ref) => ref.controller);

/** The reference a controller puts on what it creates: it controls the child and blocks its own foreground deletion until the child is gone. */
export const newControllerRef = (owner: KubeObject): OwnerReference => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.metadata.name ?? '',
  uid: owner.metadata.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
});

export const isControlledBy = (obj: KubeObject, owner: KubeObject): boolean => controllerRefOf(obj)?.uid === owner.metadata.uid;

/** The key ("namespace/name") of the controller of a namespaced object, if it is controlled by a `kind`. */
export function controllerKeyOf(obj: KubeObject, kind: string): string | undefined {
  const ref = controllerRefOf(obj);
  return ref && ref.kind === kind ? `${obj.metadata.namespace}/${ref.name}` : undefined;
}

/**
 * The children `owner` controls after adopting matching orphans and
 * releasing controlled children that no longer match. A terminating owner
 * adopts nothing (as in Kubernetes), and terminating orphans are left alone.
 */
export async function claimChildren<T extends KubeObject>(
  client: Client,
  owner: KubeObject,
  selector: LabelSelectorObject,
  candidates: T[],
): Promise<T[]> {
  const claimed: T[] = [];
  for (const child of candidates) {
    const ref = controllerRefOf(child);
    // Another controller's child is none of this owner's business: skip it before matching labels.
    if (ref && ref.uid !== owner.metadata.uid) continue;
    const matches = matchLabelSelector(selector, child.metadata.labels);
    if (ref?.uid === owner.metadata.uid) {
      if (matches || child.metadata.deletionTimestamp) claimed.push(child);
      else
        await writeOwnerReferences(
          client,
          child,
          (child.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid),
        );
    } else if (!ref && matches && !owner.metadata.deletionTimestamp && !child.metadata.deletionTimestamp) {
      const adopted = await writeOwnerReferences(client, child, [...(child.metadata.ownerReferences ?? []), newControllerRef(owner)]);
      if (adopted) claimed.push(adopted);
    }
  }
  return claimed;
}

/**
 * Replaces the owner references with a patch preconditioned on the child's uid and resourceVersion, as client-go's
 * ControllerRefManager patches (controllers hold `patch`, not `update`, on what they adopt); undefined when the child is gone.
 */
export async function writeOwnerReferences<T extends KubeObject>(
  client: Client,
  obj: T,
  ownerReferences: OwnerReference[],
): Promise<T | undefined> {
  const metadata = {
    ownerReferences: ownerReferences.length ? ownerReferences : null,
    uid: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
  };
  try {
    return await client.patch<T>({ apiVersion: obj.apiVersion, kind: obj.kind }, obj.metadata.namespace, obj.metadata.name ?? '', 'merge', {
      metadata,
    });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;
export const isAlreadyExists = (err: unknown): boolean =>
  statusCode(err) === 409 && (err as { reason?: unknown }).reason === 'AlreadyExists';

const statusCode = (err: unknown): unknown => (typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined);

/** Deletes and treats "already gone" as done, as controllers do. */
export async function deleteIfPresent(client: Client, obj: KubeObject, options: Parameters<Client['delete']>[3] = {}): Promise<void> {
  try {
    await client.delete({ apiVersion: obj.apiVersion, kind: obj.kind }, obj.metadata.namespace, obj.metadata.name ?? '', {
      preconditions: { uid: obj.metadata.uid },
      ...options,
    });
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
  }
}
