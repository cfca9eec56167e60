/**
 * The KubeVirt CR's conditions with the exact reasons and messages of
 * pkg/virt-operator/util/client.go, and its timestamp rule: a condition first
 * added gets only lastProbeTime; both times move whenever status, reason or
 * message change; an unchanged condition is left alone.
 */
export type ConditionType = 'Available' | 'Progressing' | 'Degraded' | 'Created' | 'Synchronized';

export interface KubeVirtCondition {
  type: ConditionType;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastProbeTime: string | null;
  lastTransitionTime: string | null;
}

type Wanted = Pick<KubeVirtCondition, 'type' | 'status' | 'reason' | 'message'>;

const ORDER: ConditionType[] = ['Available', 'Progressing', 'Degraded', 'Created', 'Synchronized'];

export const REASON = {
  deploying: 'DeploymentInProgress',
  ready: 'AllComponentsReady',
  updating: 'UpdateInProgress',
  failed: 'DeploymentFailed',
  deleting: 'DeletionInProgress',
  created: 'AllResourcesCreated',
  existing: 'ExistingDeployment',
  deletionFailed: 'DeletionFailed',
} as const;

const triple = (available: boolean, progressing: boolean, degraded: boolean, reason: string, message: string): Wanted[] => [
  { type: 'Available', status: available ? 'True' : 'False', reason, message },
  { type: 'Progressing', status: progressing ? 'True' : 'False', reason, message },
  { type: 'Degraded', status: degraded ? 'True' : 'False', reason, message },
];

/** One transition: the conditions to set and the ones to drop. */
export interface Transition {
  set: Wanted[];
  remove: ConditionType[];
}

export const transitions = {
  deploying: (version: string, registry: string): Transition => ({
    set: triple(false, true, false, REASON.deploying, `Deploying version ${version} with registry ${registry}`),
    remove: ['Synchronized'],
  }),
  updating: (from: { version: string; registry: string }, to: { version: string; registry: string }): Transition => ({
    set: triple(
      true,
      true,
      true,
      REASON.updating,
      `Transitioning from previous version ${from.version} with registry ${from.registry} to target version ${to.version} using registry ${to.registry}`,
    ),
    remove: ['Created', 'Synchronized'],
  }),
  // Replaces the round's "deploying" step, so it drops what that step drops.
  ready: (): Transition => ({ set: triple(true, false, false, REASON.ready, 'All components are ready.'), remove: ['Synchronized'] }),
  created: (): Transition => ({
    set: [{ type: 'Created', status: 'True', reason: REASON.created, message: 'All resources were created.' }],
    remove: [],
  }),
  failed: (error: string): Transition => {
    const message = `An error occurred during deployment: ${error}`;
    return {
      set: [
        ...triple(false, false, true, REASON.failed, message),
        { type: 'Synchronized', status: 'False', reason: REASON.failed, message },
      ],
      remove: [],
    };
  },
  deleting: (): Transition => ({
    set: triple(false, false, true, REASON.deleting, 'Deletion was triggered'),
    remove: ['Created', 'Synchronized'],
  }),
  deletionFailed: (error: string): Transition => ({
    set: [{ type: 'Synchronized', status: 'False', reason: REASON.deletionFailed, message: `An error occurred during deletion: ${error}` }],
    remove: [],
  }),
  existingDeployment: (): Transition => ({
    set: [{ type: 'Synchronized', status: 'False', reason: REASON.existing, message: 'There is an active KubeVirt deployment' }],
    remove: [],
  }),
};

export function applyTransition(conditions: readonly KubeVirtCondition[], transition: Transition, now: string): KubeVirtCondition[] {
  const byType = new Map(conditions.filter((c) => !transition.remove.includes(c.type)).map((c) => [c.type, c] as const));
  for (const wanted of transition.set) {
    const current = byType.get(wanted.type);
    if (!current) byType.set(wanted.type, { ...wanted, lastProbeTime: now, lastTransitionTime: null });
    else if (current.status !== wanted.status || current.reason !== wanted.reason || current.message !== wanted.message) {
      byType.set(wanted.type, { ...wanted, lastProbeTime: now, lastTransitionTime: now });
    }
  }
  return [...byType.values()].sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
}
