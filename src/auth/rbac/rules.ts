/**
 * RBAC rule matching, as kube's rbac authorizer (plugin/pkg/auth/authorizer/rbac)
 * and its helpers do it: `*` wildcards for verbs, groups and resources,
 * `*\/<subresource>` for a subresource of every resource, resourceNames that
 * constrain only requests naming an object, and nonResourceURLs matched
 * exactly or by a trailing `*` prefix.
 */
import type { RequestAttributes, ResourceAttributes } from '../authorization/attributes.js';
import type { PolicyRule } from './types.js';

const has = (list: readonly string[] | undefined, value: string): boolean => !!list && (list.includes('*') || list.includes(value));

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const ruleResource of rule.resources ?? []) {
    if (ruleResource === '*' || ruleResource === combined) return true;
    if (subresource && ruleResource === `*/${subresource}`) return true;
  }
  return false;
}

/** A nonResourceURLs entry: `*`, the exact path, or a prefix ending in `*`. */
const urlMatches = (url: string, path: string): boolean =>
  url === '*' || url === path || (url.endsWith('*') && path.startsWith(url.slice(0, -1)));

const nonResourceURLMatches = (rule: PolicyRule, path: string): boolean =>
  (rule.nonResourceURLs ?? []).some((url) => urlMatches(url, path));

export function ruleAllowsResource(rule: PolicyRule, a: ResourceAttributes): boolean {
  if (!has(rule.verbs, a.verb) || !has(rule.apiGroups, a.apiGroup) || !resourceMatches(rule, a.resource, a.subresource)) return false;
  if (!rule.resourceNames?.length) return true;
  return !!a.name && rule.resourceNames.includes(a.name);
}

/** Whether the rule's verdict on `a` turns on the object's name: it has resourceNames and matches all else. */
export function ruleNamesObjects(rule: PolicyRule, a: RequestAttributes): boolean {
  if (a.kind !== 'resource' || !rule.resourceNames?.length) return false;
  return has(rule.verbs, a.verb) && has(rule.apiGroups, a.apiGroup) && resourceMatches(rule, a.resource, a.subresource);
}

export function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (a.kind === 'resource') return ruleAllowsResource(rule, a);
  return has(rule.verbs, a.verb) && nonResourceURLMatches(rule, a.path);
}

/** One rule per verb × group × resource (× name), or per verb × URL: the units escalation checks compare (BreakdownRule). */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames?.length) {
          for (const name of rule.resourceNames) {
            out.push({ apiGroups: [group], resources: [resource], resourceNames: [name], verbs: [verb] });
          }
        } else {
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

/** Whether `owner` grants everything the single-unit rule `wanted` does (kube's ruleCovers, wildcards included). */
function ruleCovers(owner: PolicyRule, wanted: PolicyRule): boolean {
  const within = (have: readonly string[] | undefined, want: readonly string[] | undefined) => (want ?? []).every((w) => has(have, w));
  if (!within(owner.verbs, wanted.verbs)) return false;
  if (wanted.nonResourceURLs?.length) {
    return wanted.nonResourceURLs.every((url) => (owner.nonResourceURLs ?? []).some((o) => urlMatches(o, url)));
  }
  if (!within(owner.apiGroups, wanted.apiGroups)) return false;
  const resourcesCovered = (wanted.resources ?? []).every((want) => {
    const subresource = want.includes('/') ? want.slice(want.indexOf('/') + 1) : undefined;
    return (owner.resources ?? []).some((o) => o === '*' || o === want || (subresource !== undefined && o === `*/${subresource}`));
  });
  if (!resourcesCovered) return false;
  if (!owner.resourceNames?.length) return true;
  return !!wanted.resourceNames?.length && wanted.resourceNames.every((n) => owner.resourceNames!.includes(n));
}

/** The parts of `requested` that `owned` does not cover (kube's validation.Covers), broken down to single units. */
export function uncoveredRules(owned: readonly PolicyRule[], requested: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of requested) for (const unit of breakdownRule(rule)) if (!owned.some((o) => ruleCovers(o, unit))) missing.push(unit);
  return missing;
}

/** Go's %q of a []string: ["a" "b"]. */
export const goQuotedList = (values: readonly string[]): string => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;

/** rbacv1helpers.CompactString: {APIGroups:[""], Resources:["pods"], Verbs:["get"]}. */
export function compactRule(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${goQuotedList(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${goQuotedList(rule.resources)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuotedList(rule.nonResourceURLs)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${goQuotedList(rule.resourceNames)}`);
  if (rule.verbs.length) parts.push(`Verbs:${goQuotedList(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}
