/**
 * The NodeRestriction admission plugin, graph-free essentials: a kubelet
 * (system:node:<name>) writes only its own Node and node Lease, creates only
 * mirror pods, and updates the status of and deletes only pods bound
 * to it. Messages are kube's (plugin/pkg/admission/noderestriction).
 */
import type { Handles, ValidatingPlugin } from '../../admission/chain.js';
import { forbidden } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { nodeNameOf, OWN_LEASE_ONLY } from './node-authorizer.js';

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const nodeNameOfPod = (pod: KubeObject | undefined): string | undefined => (pod?.spec as { nodeName?: string } | undefined)?.nodeName;

/** Writes by a node (kubelet) of pods, nodes and leases: the only ones the plugin restricts. */
const isNodeWrite: Handles = ({ type, user }) =>
  (type.plural === 'pods' || type.plural === 'nodes' || type.plural === 'leases') &&
  (type.group === '' || type.group === 'coordination.k8s.io') &&
  nodeNameOf(user) !== undefined;

export const nodeRestriction: ValidatingPlugin = {
  name: 'NodeRestriction',
  handles: isNodeWrite,
  validate(attributes) {
    const node = isNodeWrite(attributes) ? nodeNameOf(attributes.user) : undefined;
    if (node === undefined) return;
    const { operation, type, subresource, name, object, oldObject } = attributes;
    const deny = (why: string) => forbidden({ group: type.group, resource: type.plural, name }, why);
    if (type.plural === 'pods') {
      if (operation === 'CREATE' && !subresource && !object?.metadata.annotations?.[MIRROR_ANNOTATION]) {
        throw deny(`pod does not have "${MIRROR_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
      }
      if (operation === 'UPDATE' && subresource === 'status' && nodeNameOfPod(oldObject) !== node) {
        throw deny(`node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
      }
      if (operation === 'DELETE' && nodeNameOfPod(oldObject) !== node) {
        throw deny(`node "${node}" can only delete pods with spec.nodeName set to itself`);
      }
    } else if (type.plural === 'nodes' && (operation === 'CREATE' || operation === 'UPDATE') && (object?.metadata.name ?? name) !== node) {
      throw deny(`node "${node}" is not allowed to modify node "${object?.metadata.name ?? name}"`);
    } else if (type.plural === 'leases' && operation !== 'DELETE' && (object?.metadata.name ?? name) !== node) {
      throw deny(OWN_LEASE_ONLY);
    }
  },
};
