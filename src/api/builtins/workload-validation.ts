/**
 * Checks shared by the controllers that own pods through a selector and a
 * template (pkg/apis/apps/validation, pkg/apis/batch/validation).
 */
import type { FieldError } from '../errors.js';
import { goStringMap, GoLiteral, immutable, invalidValue, required } from './field-errors.js';
import { asObject, canonicalJson, isObject, objectAt, stringMap, type JsonObject } from './json.js';
import { goLabelSelector, isEmptySelector, selectorMatches } from './label-selector.js';
import { validatePodSpec, validateTemplateRestartPolicy } from './pod-validation.js';

export function validateReplicas(spec: JsonObject, path = 'spec.replicas'): FieldError[] {
  const replicas = spec.replicas;
  if (typeof replicas === 'number' && replicas < 0) return [invalidValue(path, replicas, 'must be greater than or equal to 0')];
  return [];
}

/** A pod template whose pods `selector` must select, restarted as `restartPolicies` allow. */
export function validateSelectedTemplate(
  spec: JsonObject,
  path: string,
  emptySelectorOwner: string,
  restartPolicies: string[],
): FieldError[] {
  const errors: FieldError[] = [];
  const selector = asObject(spec.selector);
  const template = objectAt(spec, 'template');
  const labels = isObject(template.metadata) ? template.metadata.labels : undefined;
  if (!selector) errors.push(required(`${path}.selector`));
  else if (isEmptySelector(selector)) {
    errors.push(
      invalidValue(`${path}.selector`, new GoLiteral(goLabelSelector(selector)), `empty selector is invalid for ${emptySelectorOwner}`),
    );
  } else if (!selectorMatches(selector, stringMap(labels))) {
    const shown = isObject(labels) ? stringMap(labels) : undefined;
    errors.push(
      invalidValue(`${path}.template.metadata.labels`, new GoLiteral(goStringMap(shown)), '`selector` does not match template `labels`'),
    );
  }
  const podSpec = objectAt(template, 'spec');
  errors.push(...validatePodSpec(podSpec, `${path}.template.spec`));
  errors.push(...validateTemplateRestartPolicy(podSpec, `${path}.template.spec`, restartPolicies));
  return errors;
}

/** apps/v1 selectors cannot change after creation. */
export function validateSelectorUnchanged(spec: JsonObject, oldSpec: JsonObject, path = 'spec.selector'): FieldError[] {
  if (canonicalJson(spec.selector ?? null) === canonicalJson(oldSpec.selector ?? null)) return [];
  return [immutable(path, new GoLiteral(goLabelSelector(spec.selector)))];
}
