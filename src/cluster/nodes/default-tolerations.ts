/**
 * The DefaultTolerationSeconds admission plugin: every pod that does not
 * already tolerate node.kubernetes.io/not-ready:NoExecute or
 * node.kubernetes.io/unreachable:NoExecute gets a 300-second toleration of
 * each, so the taint eviction controller evicts its pods five minutes after
 * a node is lost.
 */
import type { Handles, MutatingPlugin } from '../../admission/chain.js';
import type { KubeObject } from '../../api/types.js';
import type { PodSpec, Toleration } from '../../kube/pods.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '../../kube/nodes.js';

export const DEFAULT_TOLERATION_SECONDS = 300;

/** Whether the pod already tolerates the NoExecute taint `key` (an empty key or effect counts as any). */
const toleratesNoExecute = (tolerations: Toleration[], key: string): boolean =>
  tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));

const isPodWrite: Handles = ({ type, subresource, operation }) =>
  type.group === '' && type.plural === 'pods' && !subresource && (operation === 'CREATE' || operation === 'UPDATE');

export const defaultTolerationSecondsPlugin: MutatingPlugin = {
  name: 'DefaultTolerationSeconds',
  handles: isPodWrite,
  async mutate(attributes) {
    const { object } = attributes;
    if (!object || !isPodWrite(attributes)) return object;
    const spec = object.spec as PodSpec | undefined;
    const tolerations = spec?.tolerations ?? [];
    const added = [TAINT_NOT_READY, TAINT_UNREACHABLE]
      .filter((key) => !toleratesNoExecute(tolerations, key))
      .map((key): Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS }));
    if (added.length === 0) return object;
    return { ...object, spec: { ...spec, tolerations: [...tolerations, ...added] } } as KubeObject;
  },
};
