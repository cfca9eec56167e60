/** metav1.LabelSelector: matching, and printing it the way Go's `%#v` does in field errors. */
import { isObject, objectsIn, stringMap, type JsonObject } from './json.js';

interface Requirement {
  key: string;
  operator: string;
  values: string[];
}

function requirements(selector: JsonObject): Requirement[] {
  return objectsIn(selector, 'matchExpressions').map((e) => ({
    key: String(e.key ?? ''),
    operator: String(e.operator ?? ''),
    values: Array.isArray(e.values) ? e.values.map(String) : [],
  }));
}

export function isEmptySelector(selector: JsonObject): boolean {
  return Object.keys(stringMap(selector.matchLabels)).length === 0 && requirements(selector).length === 0;
}

export function selectorMatches(selector: JsonObject, labels: Record<string, string>): boolean {
  const matchLabels = stringMap(selector.matchLabels);
  if (Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) return false;
  return requirements(selector).every(({ key, operator, values }) => {
    const has = key in labels;
    switch (operator) {
      case 'In':
        return has && values.includes(labels[key]);
      case 'NotIn':
        return !has || !values.includes(labels[key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

const goStrings = (values: string[]): string => `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;

/** `v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`. */
export function goLabelSelector(selector: unknown): string {
  const s = isObject(selector) ? selector : {};
  const labels = stringMap(s.matchLabels);
  const labelText = isObject(s.matchLabels)
    ? `map[string]string{${Object.keys(labels)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`)
        .join(', ')}}`
    : 'map[string]string(nil)';
  const reqs = requirements(s);
  const reqText = Array.isArray(s.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${reqs
        .map(
          (r) =>
            `v1.LabelSelectorRequirement{Key:${JSON.stringify(r.key)}, Operator:${JSON.stringify(r.operator)}, Values:${goStrings(r.values)}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${labelText}, MatchExpressions:${reqText}}`;
}
