/**
 * The part of kube-apiserver's ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount/admission.go)
 * that every pod shows: a pod that names no ServiceAccount runs as "default" (serviceAccountName, and the
 * deprecated serviceAccount that v1 serializes beside it). Not simulated: the projected token volume it mounts and
 * its refusal of a ServiceAccount that does not exist yet.
 */
import type { Handles, MutatingPlugin } from '../../admission/chain.js';
import type { KubeObject } from '../../api/types.js';

const DEFAULT_SERVICE_ACCOUNT = 'default';

const isPodCreate: Handles = ({ type, subresource, operation }) =>
  type.group === '' && type.plural === 'pods' && !subresource && operation === 'CREATE';

export const serviceAccountAdmission: MutatingPlugin = {
  name: 'ServiceAccount',
  handles: isPodCreate,
  async mutate(attributes) {
    const { object } = attributes;
    if (!object || !isPodCreate(attributes)) return object;
    const spec = (object.spec ?? {}) as { serviceAccountName?: string; serviceAccount?: string };
    const name = spec.serviceAccountName || spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
    if (spec.serviceAccountName === name && spec.serviceAccount === name) return object;
    return { ...object, spec: { ...spec, serviceAccountName: name, serviceAccount: name } } as KubeObject;
  },
};
