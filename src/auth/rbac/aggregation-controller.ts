/**
 * The clusterrole-aggregation controller (kube-controller-manager's
 * pkg/controller/clusterroleaggregation): a ClusterRole with an
 * aggregationRule gets, as its rules, the rules of every ClusterRole its
 * selectors match, in name order and without repeats. It runs as the
 * kube-system/clusterrole-aggregation-controller ServiceAccount, whose
 * bootstrap role holds `escalate` on clusterroles for exactly this write.
 */
import { deepEqual } from '../../api/registry/object-diff.js';
import { matchLabelSelector } from '../../api/selectors/label-selector.js';
import type { Client } from '../../client/client.js';
import type { Clock } from '../../runtime/clock.js';
import { Controller } from '../../runtime/controller.js';
import type { Informer } from '../../runtime/informer.js';
import type { Logger } from '../../runtime/logger.js';
import { CLUSTER_ROLE_REF, type PolicyRule, type RoleObject } from './types.js';

export interface AggregationDeps {
  client: Client;
  clusterRoles: Informer<RoleObject>;
  clock: Clock;
  logger: Logger;
}

/** The rules `role` aggregates from `all` (kube sorts the matching roles by name and drops duplicate rules). */
export function aggregatedRules(role: RoleObject, all: readonly RoleObject[]): PolicyRule[] {
  const selectors = role.aggregationRule?.clusterRoleSelectors ?? [];
  const rules: PolicyRule[] = [];
  const selected = (other: RoleObject) => selectors.some((s) => matchLabelSelector(s as never, other.metadata.labels ?? {}));
  const sources = all
    .filter((other) => other.metadata.name !== role.metadata.name && selected(other))
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (const source of sources) for (const rule of source.rules ?? []) if (!rules.some((r) => deepEqual(r, rule))) rules.push(rule);
  return rules;
}

export function clusterRoleAggregationController({ client, clusterRoles, clock, logger }: AggregationDeps): Controller {
  const aggregating = () => clusterRoles.list().filter((r) => r.aggregationRule);
  const controller = new Controller({
    name: 'clusterrole-aggregation-controller',
    clock,
    logger,
    async reconcile(name) {
      const role = clusterRoles.getByName(undefined, name);
      if (!role?.aggregationRule) return;
      const rules = aggregatedRules(role, clusterRoles.list());
      if (deepEqual(rules, role.rules ?? [])) return;
      await client.update<RoleObject>({ ...role, ...CLUSTER_ROLE_REF, rules });
    },
  });
  // Any ClusterRole's change may change what every aggregating role collects.
  return controller.watch(clusterRoles, () => aggregating().map((r) => r.metadata.name!));
}
