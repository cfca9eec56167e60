/**
 * Which webhooks a request concerns, as kube-apiserver's webhook predicates
 * decide (admission/plugin/webhook/predicates): rules (operations, groups,
 * versions, resources with subresources, scope), matchPolicy, and the
 * namespace and object label selectors.
 */
import type { GroupVersionKind, GroupVersionResource, KubeObject, ResourceType } from '../../api/types.js';
import { matchLabelSelector, type LabelSelectorObject } from '../../api/selectors/label-selector.js';
import { compilePolicy, type CompiledPolicy } from '../../api/cel/policy.js';
import { jsonToCel } from '../../api/cel/values.js';
import type { AdmissionAttributes } from '../chain.js';
import { admissionRequestOf } from '../policy/request.js';
import type { RuleWithOperations, Webhook } from './types.js';

/** The resource and kind a webhook is called with: the request's own, or an equivalent one under matchPolicy Equivalent. */
export interface Invocation {
  resource: GroupVersionResource;
  kind: GroupVersionKind;
  /** The type the object is presented as (another version of the same storage for an equivalent match). */
  type: ResourceType;
}

const ADMISSION_GROUP = 'admissionregistration.k8s.io';
/** Kubernetes never sends these to webhooks, so a broken webhook cannot lock its own configuration (IsExemptAdmissionConfigurationResource). */
const EXEMPT_RESOURCES = new Set([
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
]);

export const isExemptFromWebhooks = (type: ResourceType): boolean => type.group === ADMISSION_GROUP && EXEMPT_RESOURCES.has(type.plural);

const matchesAny = (values: string[] | undefined, value: string): boolean => (values ?? []).some((v) => v === '*' || v === value);

function matchesResource(patterns: string[] | undefined, resource: string, subresource: string): boolean {
  for (const pattern of patterns ?? []) {
    if (pattern === '*/*') return true;
    const slash = pattern.indexOf('/');
    if (slash < 0) {
      if (subresource === '' && (pattern === '*' || pattern === resource)) return true;
      continue;
    }
    const [res, sub] = [pattern.slice(0, slash), pattern.slice(slash + 1)];
    if ((res === '*' || res === resource) && (sub === '*' || sub === subresource)) return true;
  }
  return false;
}

function matchesScope(scope: string | undefined, resource: GroupVersionResource, namespace: string | undefined): boolean {
  const isNamespaceObject = resource.group === '' && resource.resource === 'namespaces';
  if (scope === 'Cluster') return isNamespaceObject || !namespace;
  if (scope === 'Namespaced') return !isNamespaceObject && Boolean(namespace);
  return true;
}

export function ruleMatches(
  rule: RuleWithOperations,
  operation: string,
  resource: GroupVersionResource,
  subresource: string,
  namespace: string | undefined,
): boolean {
  return (
    matchesAny(rule.operations, operation) &&
    matchesAny(rule.apiGroups, resource.group) &&
    matchesAny(rule.apiVersions, resource.version) &&
    matchesResource(rule.resources, resource.resource, subresource) &&
    matchesScope(rule.scope, resource, namespace)
  );
}

/** The kind a request for (type, subresource) carries: the parent kind for the main resource and status, else the subresource's own. */
function kindOf(type: ResourceType, subresource: string): GroupVersionKind {
  const sub = subresource && subresource !== 'status' ? type.subresources.find((s) => s.name === subresource) : undefined;
  return sub ? sub.responseKind : { group: type.group, version: type.version, kind: type.kind };
}

const resourceOf = (type: ResourceType): GroupVersionResource => ({ group: type.group, version: type.version, resource: type.plural });

/**
 * The invocation for a webhook, or undefined when its rules do not cover the
 * request. Under matchPolicy Equivalent (the default) a rule naming another
 * version of the same stored resource matches too, and the webhook sees the
 * object in that version.
 */
/** Per served-type list (replaced when CRDs change) and storage key, the types stored alike: every write asks. */
const equivalentsCache = new WeakMap<readonly ResourceType[], Map<string, ResourceType[]>>();

/** Every served type stored under the same key as `type` (its other versions), `type` included: matchPolicy Equivalent's candidates. */
export function equivalentTypes(all: readonly ResourceType[], type: ResourceType): ResourceType[] {
  let byStorageKey = equivalentsCache.get(all);
  if (!byStorageKey) equivalentsCache.set(all, (byStorageKey = new Map()));
  let equivalents = byStorageKey.get(type.storageKey);
  if (!equivalents) byStorageKey.set(type.storageKey, (equivalents = all.filter((t) => t.storageKey === type.storageKey)));
  return equivalents;
}

export function matchRules(
  webhook: Webhook,
  attributes: AdmissionAttributes,
  equivalents: readonly ResourceType[],
): Invocation | undefined {
  const subresource = attributes.subresource ?? '';
  const candidates =
    webhook.matchPolicy === 'Exact' ? [attributes.type] : [attributes.type, ...equivalents.filter((t) => t !== attributes.type)];
  for (const type of candidates) {
    const resource = resourceOf(type);
    if ((webhook.rules ?? []).some((rule) => ruleMatches(rule, attributes.operation, resource, subresource, attributes.namespace))) {
      return { resource, kind: kindOf(type, subresource), type };
    }
  }
  return undefined;
}

const labelsOf = (obj: KubeObject | undefined): Record<string, string> => obj?.metadata?.labels ?? {};
const isEmptySelector = (selector: LabelSelectorObject | undefined): boolean =>
  !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);

/** An object selector matches when the new or the old object's labels match it. */
export function matchObjectSelector(webhook: Webhook, attributes: AdmissionAttributes): boolean {
  if (isEmptySelector(webhook.objectSelector)) return true;
  const selector = webhook.objectSelector!;
  return (
    (attributes.object !== undefined && matchLabelSelector(selector, labelsOf(attributes.object))) ||
    (attributes.oldObject !== undefined && matchLabelSelector(selector, labelsOf(attributes.oldObject)))
  );
}

/** Whether the namespace selector needs the labels of a namespace, and which one (undefined: always matches). */
export function namespaceSelectorSubject(
  webhook: Webhook,
  attributes: AdmissionAttributes,
): { fromObject: KubeObject } | { namespace: string } | undefined {
  if (isEmptySelector(webhook.namespaceSelector)) return undefined;
  const isNamespace = attributes.type.group === '' && attributes.type.plural === 'namespaces';
  if (
    isNamespace &&
    !attributes.subresource &&
    (attributes.operation === 'CREATE' || attributes.operation === 'UPDATE') &&
    attributes.object
  ) {
    // The namespace being written is not stored yet in its new form: its own labels decide.
    return { fromObject: attributes.object };
  }
  const namespace = isNamespace ? attributes.name : attributes.namespace;
  // A cluster-scoped object other than a namespace is never exempted by a namespace selector.
  return namespace ? { namespace } : undefined;
}

export const namespaceLabelsMatch = (webhook: Webhook, labels: Record<string, string>): boolean =>
  matchLabelSelector(webhook.namespaceSelector!, labels);

const conditionPrograms = new WeakMap<object, CompiledPolicy['matchConditions'] | undefined>();

/**
 * A webhook's matchConditions, evaluated as CEL with `object`, `oldObject`
 * and `request` (compiled once per stored webhook): all must be true for
 * the webhook to be called. A condition that fails to compile or evaluate
 * does not exclude the request: the webhook is called and decides, and one
 * with failurePolicy Ignore is skipped.
 */
export function matchConditions(webhook: Webhook, attributes: AdmissionAttributes): boolean {
  const conditions = webhook.matchConditions;
  if (!conditions?.length) return true;
  if (!conditionPrograms.has(conditions)) {
    const compiled = compilePolicy({ matchConditions: conditions });
    conditionPrograms.set(conditions, compiled.errors.length ? undefined : compiled.matchConditions);
  }
  const programs = conditionPrograms.get(conditions);
  if (!programs) return webhook.failurePolicy !== 'Ignore';
  const context = {
    object: jsonToCel(attributes.object ?? null),
    oldObject: jsonToCel(attributes.oldObject ?? null),
    request: jsonToCel(admissionRequestOf(attributes)),
  };
  try {
    return programs.every(({ program }) => program.run(context) === true);
  } catch {
    return webhook.failurePolicy !== 'Ignore';
  }
}
