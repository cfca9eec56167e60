/**
 * The launcher pods of one VMI, from the shared pod informer, through an
 * index on the pod's controlling VMI uid: reconciling a VMI then costs the
 * pods it owns, not every pod in its namespace.
 */
import type { Pod } from '../../../kube/pods.js';
import type { Informer } from '../../../runtime/informer.js';
import { owningVmi } from './launcher-pod-state.js';

const OWNING_VMI_UID_INDEX = 'virt-controller/owning-vmi-uid';
const indexed = new WeakSet<Informer<Pod>>();

/** Adds the index to the informer once, however many controllers (or restarts of virt-controller) ask. */
function indexPodsByOwningVmi(pods: Informer<Pod>): Informer<Pod> {
  if (!indexed.has(pods)) {
    pods.addIndexer(OWNING_VMI_UID_INDEX, (pod) => {
      const owner = owningVmi(pod);
      return owner ? [owner.uid] : [];
    });
    indexed.add(pods);
  }
  return pods;
}

/** The pods whose controller reference is the VMI with this uid. */
export const podsOwnedByVmi = (pods: Informer<Pod>, vmiUid: string): Pod[] =>
  indexPodsByOwningVmi(pods).byIndex(OWNING_VMI_UID_INDEX, vmiUid);
