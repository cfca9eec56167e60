/**
 * Whether a policy (its matchConstraints) and a binding (its matchResources)
 * concern a request: resource rules with resourceNames, exclusions,
 * matchPolicy and the namespace and object selectors, with the webhook
 * predicates kube shares between webhooks and policies.
 */
import type { ResourceType } from '../../api/types.js';
import type { AdmissionAttributes } from '../chain.js';
import { matchObjectSelector, matchRules, namespaceLabelsMatch, namespaceSelectorSubject } from '../webhooks/matching.js';
import type { Webhook } from '../webhooks/types.js';
import type { MatchResources, NamedRuleWithOperations } from './types.js';

function rulesMatch(rules: NamedRuleWithOperations[], match: MatchResources, attributes: AdmissionAttributes, equivalents: ResourceType[]) {
  const named = rules.filter(
    (r) => !r.resourceNames?.length || (attributes.name !== undefined && r.resourceNames.includes(attributes.name)),
  );
  return matchRules({ rules: named, matchPolicy: match.matchPolicy } as Webhook, attributes, equivalents) !== undefined;
}

/**
 * Whether the resource rules of `match` can concern requests of this shape, whatever their object, name and
 * namespace: a necessary condition of matchesResources (rules whose resourceNames leave the request out, exclusions
 * and selectors can only say no), answered the same for every request of the shape.
 */
export function mayMatchResources(
  match: MatchResources | undefined,
  attributes: AdmissionAttributes,
  equivalents: ResourceType[],
): boolean {
  if (!match?.resourceRules?.length) return true;
  return matchRules({ rules: match.resourceRules, matchPolicy: match.matchPolicy } as Webhook, attributes, equivalents) !== undefined;
}

/** Label lookup of a namespace, from the informer or the API. */
export type NamespaceLabels = (namespace: string) => Promise<Record<string, string>>;

export async function matchesResources(
  match: MatchResources | undefined,
  attributes: AdmissionAttributes,
  equivalents: ResourceType[],
  namespaceLabels: NamespaceLabels,
): Promise<boolean> {
  if (!match) return true;
  // Unset resourceRules do not constrain (a binding's matchResources may name only selectors).
  if (match.resourceRules?.length && !rulesMatch(match.resourceRules, match, attributes, equivalents)) return false;
  if (match.excludeResourceRules?.length && rulesMatch(match.excludeResourceRules, match, attributes, equivalents)) return false;
  const selectors = { namespaceSelector: match.namespaceSelector, objectSelector: match.objectSelector } as Webhook;
  if (!matchObjectSelector(selectors, attributes)) return false;
  const subject = namespaceSelectorSubject(selectors, attributes);
  if (!subject) return true;
  const labels = 'fromObject' in subject ? (subject.fromObject.metadata.labels ?? {}) : await namespaceLabels(subject.namespace);
  return namespaceLabelsMatch(selectors, labels);
}
