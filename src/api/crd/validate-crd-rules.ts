/**
 * apiextensions' validation of the x-kubernetes-validations rules when a CRD
 * is written: a rule (or messageExpression) that does not compile, a reason
 * kube does not know, and rules whose estimated cost is over kube's limits
 * are refused with kube's field paths and wording. Errors are reported under
 * `spec.validation.openAPIV3Schema` when every version has the same schema
 * (the internal version hoists it there), else under each version's schema.
 */
import { GoLiteral, forbidden, invalidValue, notSupported } from '../builtins/field-errors.js';
import type { FieldError } from '../errors.js';
import { costFactor, costLimits } from '../cel/cost.js';
import type { CrdSchemaNode, CrdVersion } from './crd-types.js';
import { compileSchemaRules, rulesWithPaths, type ValidationRule } from './rules-compile.js';

const REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];

const COST_HINT =
  '(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)';

/** The rule as Go's %#v prints apiextensions.ValidationRule in kube's message. */
function goRule(rule: ValidationRule): GoLiteral {
  const pointer = (set: boolean, type: string) => `(*${type})(${set ? '0xc000a1c2d0' : 'nil'})`;
  return new GoLiteral(
    `apiextensions.ValidationRule{Rule:${JSON.stringify(rule.rule ?? '')}, Message:${JSON.stringify(rule.message ?? '')}, ` +
      `MessageExpression:${JSON.stringify(rule.messageExpression ?? '')}, ` +
      `Reason:${pointer(rule.reason !== undefined, 'apiextensions.FieldValueErrorReason')}, FieldPath:${JSON.stringify(rule.fieldPath ?? '')}, ` +
      `OptionalOldSelf:${pointer(rule.optionalOldSelf !== undefined, 'bool')}}`,
  );
}

function schemaRuleErrors(schema: CrdSchemaNode, key: string, base: string): FieldError[] {
  const errors: FieldError[] = [];
  const costs: Array<{ at: string; cost: number }> = [];
  let total = 0;
  for (const { path, rule } of rulesWithPaths(compileSchemaRules(schema, key))) {
    const at = `${base}${path}.x-kubernetes-validations[${rule.index}]`;
    const declared = rule.declared;
    if (rule.ruleError) errors.push(invalidValue(`${at}.rule`, goRule(declared), rule.ruleError));
    if (rule.messageError) errors.push(invalidValue(`${at}.messageExpression`, declared.messageExpression, rule.messageError));
    if (declared.reason !== undefined && !REASONS.includes(declared.reason))
      errors.push(notSupported(`${at}.reason`, declared.reason, REASONS));
    if (declared.message?.includes('\n'))
      errors.push(invalidValue(`${at}.message`, declared.message, 'message must not contain line breaks'));
    const cost = rule.cost * rule.cardinality;
    total += cost;
    costs.push({ at, cost });
    if (cost > costLimits.staticPerExpression)
      errors.push(
        forbidden(
          `${at}.rule`,
          `estimated rule cost exceeds budget by factor of ${costFactor(cost, costLimits.staticPerExpression)} ${COST_HINT}`,
        ),
      );
  }
  if (total <= costLimits.staticPerCrd) return errors;
  // kube names every rule that carries at least 1% of the limit.
  for (const { at, cost } of costs)
    if (cost >= costLimits.staticPerCrd / 100)
      errors.push(
        forbidden(
          `${at}.rule`,
          'contributed to estimated rule & messageExpression cost total exceeding cost limit for entire OpenAPIv3 schema',
        ),
      );
  errors.push(
    forbidden(
      base,
      `x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of ${costFactor(total, costLimits.staticPerCrd)}`,
    ),
  );
  return errors;
}

export function validateCrdRules(versions: CrdVersion[]): FieldError[] {
  const schemas = versions.map((v) => v.schema?.openAPIV3Schema);
  const keys = schemas.map((s) => JSON.stringify(s) ?? '');
  if (!keys.some((k) => k.includes('"x-kubernetes-validations"'))) return [];
  if (keys.every((k) => k === keys[0])) return schemas[0] ? schemaRuleErrors(schemas[0], keys[0], 'spec.validation.openAPIV3Schema') : [];
  return schemas.flatMap((s, i) => (s ? schemaRuleErrors(s, keys[i], `spec.versions[${i}].schema.openAPIV3Schema`) : []));
}
