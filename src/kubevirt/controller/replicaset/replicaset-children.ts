/**
 * How a replicating controller (VMIRS over VMIs, pool over VMs) follows its
 * children: which parent a changed child concerns, and the expectations its
 * informer lowers as the created and deleted children show up.
 */
import { matchLabelSelector, type LabelSelectorObject } from '../../../api/selectors/label-selector.js';
import type { KubeObject } from '../../../api/types.js';
import { controllerKeyOf, controllerRefOf } from '../../../kube/owners.js';
import { objectKey, type HandlerRegistration, type Informer } from '../../../runtime/informer.js';
import type { Expectations } from '../../../runtime/expectations.js';

export type SelectingParent = KubeObject & { spec: { selector?: LabelSelectorObject } };

/**
 * The key of the `ownerKind` parent controlling `child`; for an orphan, with
 * `orphansToo`, every parent of its namespace whose selector it matches (it
 * may be adopted).
 */
export function parentKeysOf<P extends SelectingParent>(
  child: KubeObject,
  ownerKind: string,
  parents: Informer<P>,
  orphansToo: boolean,
): string[] {
  const owner = controllerKeyOf(child, ownerKind);
  if (owner) return [owner];
  if (!orphansToo || child.metadata.ownerReferences?.some((ref) => ref.controller)) return [];
  return parents
    .listByNamespace(child.metadata.namespace ?? '')
    .filter((parent) => matchLabelSelector(parent.spec.selector, child.metadata.labels))
    .map(objectKey);
}

/** Lowers `expectations` of the controlling `ownerKind` parent as children appear and go (or start going). */
export function observeChildren<T extends KubeObject>(
  children: Informer<T>,
  expectations: Expectations,
  ownerKind: string,
): HandlerRegistration {
  const observe = (child: T, gone: boolean): void => {
    const parentKey = controllerKeyOf(child, ownerKind);
    if (!parentKey) return;
    if (gone || child.metadata.deletionTimestamp) expectations.deletionObserved(parentKey, objectKey(child));
    else expectations.creationObserved(parentKey);
  };
  return children.addEventHandler({
    onAdd: (child) => observe(child, false),
    onUpdate: (_, child) => {
      if (child.metadata.deletionTimestamp) observe(child, false);
    },
    onDelete: (child) => observe(child, true),
  });
}

const CONTROLLER_UID_INDEX = 'virt-controller/controller-uid';
const indexed = new WeakSet<object>();

/**
 * The children of `namespace` whose controller reference has this uid (""
 * for orphans), from an index on the shared informer added once, however
 * many controllers (or restarts of virt-controller) ask: a sync costs the
 * parent's own children, not every object of the namespace.
 */
export function childrenControlledBy<T extends KubeObject>(children: Informer<T>, uid: string, namespace: string): T[] {
  if (!indexed.has(children)) {
    children.addIndexer(CONTROLLER_UID_INDEX, (child) => [controllerRefOf(child)?.uid ?? '']);
    indexed.add(children);
  }
  return children.byIndex(CONTROLLER_UID_INDEX, uid).filter((child) => child.metadata.namespace === namespace);
}
