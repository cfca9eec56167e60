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

const POD_IP_INDEX = 'nodes/status.podIP';

/** The pods that show an address, through an index on status.podIP. */
export const podsWithIp = (pods: Informer<Pod>, address: string): Pod[] =>
  pods.ensureIndexer(POD_IP_INDEX, (pod) => (pod.status?.podIP ? [pod.status.podIP] : [])).byIndex(POD_IP_INDEX, address);
