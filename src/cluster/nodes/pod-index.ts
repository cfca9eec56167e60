/** The pods of one node, from the shared pod informer, through an index on spec.nodeName. */
import type { Informer } from '../../runtime/informer.js';
import type { Pod } from '../../kube/pods.js';

const NODE_NAME_INDEX = 'nodes/spec.nodeName';
const indexed = new WeakSet<Informer<Pod>>();

/** Adds the node-name index to the informer once, however many components ask. */
export function indexPodsByNode(pods: Informer<Pod>): Informer<Pod> {
  if (!indexed.has(pods)) {
    pods.addIndexer(NODE_NAME_INDEX, (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []));
    indexed.add(pods);
  }
  return pods;
}

export const podsOnNode = (pods: Informer<Pod>, nodeName: string): Pod[] => indexPodsByNode(pods).byIndex(NODE_NAME_INDEX, nodeName);
