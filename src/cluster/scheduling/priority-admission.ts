/**
 * kube-apiserver's Priority admission plugin (plugin/pkg/admission/priority/admission.go) and the PriorityClasses
 * the apiserver creates at start (pkg/apis/scheduling SystemPriorityClasses). On pod create it resolves
 * spec.priorityClassName (or the globalDefault class, or none: priority 0 and PreemptLowerPriority) into
 * spec.priority and spec.preemptionPolicy, refusing a class that does not exist or values that contradict it.
 */
import type { Handles, MutatingPlugin } from '../../admission/chain.js';
import { forbidden } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';

interface PriorityClass extends KubeObject {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
}

export interface PriorityAdmissionDeps {
  priorityClass(name: string): KubeObject | undefined;
  priorityClasses(): readonly KubeObject[];
}

/** scheduling.SystemPriorityClasses: what every cluster has from the start. */
export const systemPriorityClasses = [
  {
    name: 'system-node-critical',
    value: 2000001000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    name: 'system-cluster-critical',
    value: 2000000000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
].map(({ name, value, description }) => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  description,
  preemptionPolicy: 'PreemptLowerPriority',
}));

const isPodCreate: Handles = ({ type, subresource, operation }) =>
  type.group === '' && type.plural === 'pods' && !subresource && operation === 'CREATE';

export function priorityAdmission(deps: PriorityAdmissionDeps): MutatingPlugin {
  return {
    name: 'Priority',
    handles: isPodCreate,
    async mutate(attributes) {
      const { object } = attributes;
      if (!object || !isPodCreate(attributes)) return object;
      const spec = (object.spec ?? {}) as { priorityClassName?: string; priority?: number; preemptionPolicy?: string };
      const subject = { group: '', resource: 'pods', name: object.metadata.name ?? '' };
      let className = spec.priorityClassName ?? '';
      let priority = 0;
      let preemptionPolicy = 'PreemptLowerPriority';
      const chosen = className
        ? (deps.priorityClass(className) as PriorityClass | undefined)
        : (deps.priorityClasses() as PriorityClass[]).find((pc) => pc.globalDefault === true);
      if (className && !chosen) throw forbidden(subject, `no PriorityClass with name ${className} was found`);
      if (chosen) {
        className = chosen.metadata.name ?? '';
        priority = chosen.value ?? 0;
        preemptionPolicy = chosen.preemptionPolicy ?? preemptionPolicy;
      }
      if (spec.priority !== undefined && spec.priority !== priority) {
        throw forbidden(
          subject,
          `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`,
        );
      }
      if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== preemptionPolicy) {
        throw forbidden(
          subject,
          `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${preemptionPolicy} from the given PriorityClass name`,
        );
      }
      const priorityClassName = className || undefined;
      return { ...object, spec: { ...spec, priorityClassName, priority, preemptionPolicy } } as KubeObject;
    },
  };
}
