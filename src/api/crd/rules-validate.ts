/**
 * Evaluating a CRD's x-kubernetes-validations rules on a custom resource, as
 * apiextensions' cel.Validator does after schema validation and defaulting:
 * each rule sees its node's value as `self` (and the correlated old value as
 * `oldSelf`; transition rules are skipped when there is none, unless
 * `optionalOldSelf`), failures become field errors with kube's wording, a
 * failing rule whose value did not change is ratcheted to a warning
 * (CRDValidationRatcheting, on since 1.30), and evaluation stops once the
 * runtime cost budget is spent.
 */
import { isDeepStrictEqual } from 'node:util';
import { Optional } from '@marcbachmann/cel-js';
import { duplicate, forbidden, invalidValue, required } from '../builtins/field-errors.js';
import type { FieldError } from '../errors.js';
import { celRuntimeMessage, type CompiledExpression } from '../cel/compile.js';
import { boundsOf, costLimits, estimateCost } from '../cel/cost.js';
import { toCelValue } from '../cel/schema-types.js';
import type { CrdSchemaNode } from './crd-types.js';
import type { CompiledRule, RuleNode } from './rules-compile.js';

const BUDGET_SPENT = 'validation failed due to running out of cost budget, no further validation rules will be run';

/** Thrown to stop every further rule once the budget is spent. */
class BudgetExhausted extends Error {}

interface Walk {
  errors: FieldError[];
  warnings: string[];
  budget: number;
}

/** Whether the old value is known for this node: correlated through object fields and map keys, not through lists. */
interface Old {
  correlated: boolean;
  value: unknown;
  /**
   * The nearest correlated ancestor (or this node) equals its old value: its errors are ratcheted. Asked only when a
   * rule fails, so the deep comparison is made then (most writes fail no rule).
   */
  readonly unchanged: boolean;
}

const NO_OLD: Old = { correlated: false, value: undefined, unchanged: false };

/** An Old whose `unchanged` compares `value` with the old value on first use (`compared` picks what of both is compared). */
function correlatedOld(oldValue: unknown, value: unknown, compared = (v: unknown) => v): Old {
  let unchanged: boolean | undefined;
  return {
    correlated: true,
    value: oldValue,
    get unchanged() {
      unchanged ??= oldValue !== undefined && isDeepStrictEqual(compared(oldValue), compared(value));
      return unchanged;
    },
  };
}

/** An Old not correlated to an old value: ratcheted as its nearest correlated ancestor is. */
const uncorrelatedOld = (parent: Old): Old => ({
  correlated: false,
  value: undefined,
  get unchanged() {
    return parent.unchanged;
  },
});

function ruleText(rule: CompiledRule): string {
  return rule.declared.message?.trim() || rule.declared.rule.trim();
}

/** The runtime cost of one evaluation: the estimate, repriced with the actual sizes when the estimate alone would not fit. */
function runtimeCost(program: CompiledExpression, estimated: number, self: unknown, oldSelf: unknown, budget: number): number {
  if (estimated <= Math.min(budget, costLimits.perCall)) return estimated;
  return estimateCost(program.ast, { self: boundsOf(self), oldSelf: boundsOf(oldSelf) });
}

function fieldErrorFor(rule: CompiledRule, path: string, type: string, detail: string): FieldError {
  switch (rule.declared.reason) {
    case 'FieldValueForbidden':
      return forbidden(path, detail);
    case 'FieldValueRequired':
      return required(path, detail);
    case 'FieldValueDuplicate':
      return duplicate(path, type);
    default:
      return invalidValue(path, type, detail);
  }
}

/** messageExpression's result, or undefined to fall back on the static message (kube logs the failure and moves on). */
function evaluatedMessage(program: CompiledExpression, variables: Record<string, unknown>): string | undefined {
  try {
    const value = program.run(variables);
    if (typeof value !== 'string') return undefined;
    const message = value.trim();
    return message && !message.includes('\n') && message.length <= 5 * 1024 ? message : undefined;
  } catch {
    return undefined;
  }
}

function evaluateRules(node: RuleNode, value: unknown, old: Old, path: string, walk: Walk): void {
  if (!node.rules.length) return;
  const type = node.schema.type ?? '';
  const self = toCelValue(value, node.celSchema);
  const oldSelf = old.value === undefined ? undefined : toCelValue(old.value, node.celSchema);
  for (const rule of node.rules) {
    if (rule.ruleError) {
      walk.errors.push(invalidValue(path, type, `rule compile error: ${rule.ruleError}`));
      continue;
    }
    if (!rule.program) continue;
    const optional = rule.declared.optionalOldSelf === true;
    if (rule.usesOldSelf && oldSelf === undefined && !optional) continue;
    const variables = { self, oldSelf: optional ? Optional.of(oldSelf) : oldSelf };
    if (walk.budget <= 0) {
      walk.errors.push(invalidValue(path, type, BUDGET_SPENT));
      throw new BudgetExhausted();
    }
    const cost = runtimeCost(rule.program, rule.cost, value, old.value, walk.budget);
    if (cost > costLimits.perCall) {
      walk.errors.push(
        invalidValue(
          path,
          type,
          `'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleText(rule)}`,
        ),
      );
      throw new BudgetExhausted();
    }
    if (cost > walk.budget) {
      walk.errors.push(invalidValue(path, type, BUDGET_SPENT));
      throw new BudgetExhausted();
    }
    walk.budget -= cost;
    let result: unknown;
    try {
      result = rule.program.run(variables);
    } catch (e) {
      walk.errors.push(invalidValue(path, type, `${celRuntimeMessage(e)} evaluating rule: ${ruleText(rule)}`));
      continue;
    }
    if (result === true) continue;
    const fieldPath = rule.declared.fieldPath?.replace(/^\./, '');
    const errorPath = fieldPath ? (path ? `${path}.${fieldPath}` : fieldPath) : path;
    const detail =
      (rule.messageProgram && evaluatedMessage(rule.messageProgram, variables)) ??
      (rule.declared.message?.trim() || `failed rule: ${rule.declared.rule.trim()}`);
    const error = fieldErrorFor(rule, errorPath, type, detail);
    if (!rule.usesOldSelf && old.unchanged) walk.warnings.push(`${error.field}: ${error.message}`);
    else walk.errors.push(error);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function childOld(old: Old, correlatable: boolean, key: string | undefined, value: unknown): Old {
  if (!correlatable || key === undefined) return uncorrelatedOld(old);
  return correlatedOld(isObject(old.value) ? old.value[key] : undefined, value);
}

/** The key of a map-list item (x-kubernetes-list-type: map), to find its old counterpart. */
function listItemKey(schema: CrdSchemaNode, item: unknown): string | undefined {
  const keys = schema['x-kubernetes-list-map-keys'] as string[] | undefined;
  if (schema['x-kubernetes-list-type'] !== 'map' || !keys || !isObject(item)) return undefined;
  return JSON.stringify(keys.map((k) => item[k]));
}

function visit(node: RuleNode, value: unknown, old: Old, path: string, walk: Walk): void {
  if (value === null || value === undefined) return;
  evaluateRules(node, value, old, path, walk);
  const join = (name: string) => (path ? `${path}.${name}` : name);
  if (Array.isArray(value) && node.items) {
    const oldItems = new Map<string, unknown>();
    if (Array.isArray(old.value) && old.correlated)
      for (const item of old.value) {
        const key = listItemKey(node.schema, item);
        if (key !== undefined) oldItems.set(key, item);
      }
    value.forEach((item, i) => {
      const key = listItemKey(node.schema, item);
      const oldItem = key === undefined ? undefined : oldItems.get(key);
      const itemOld: Old = key === undefined ? uncorrelatedOld(old) : correlatedOld(oldItem, item);
      visit(node.items as RuleNode, item, itemOld, `${path}[${i}]`, walk);
    });
    return;
  }
  if (!isObject(value)) return;
  const correlatable = old.correlated;
  for (const [key, child] of node.properties ?? []) {
    if (key in value) visit(child, value[key], childOld(old, correlatable, key, value[key]), join(key), walk);
  }
  if (node.additionalProperties) {
    const mapType = node.schema['x-kubernetes-map-type'];
    const granular = mapType === undefined || mapType === 'granular' || mapType === 'atomic';
    for (const [key, item] of Object.entries(value)) {
      visit(node.additionalProperties, item, childOld(old, correlatable && granular, key, item), `${path}[${key}]`, walk);
    }
  }
}

/**
 * The rules' field errors for `object` (and `old` on update), plus the
 * warnings of ratcheted failures. Rules see the object after defaulting.
 */
export function validateRules(root: RuleNode, object: unknown, old: unknown): { errors: FieldError[]; warnings: string[] } {
  const walk: Walk = { errors: [], warnings: [], budget: costLimits.runtimeBudget };
  const rootOld: Old = old === undefined ? NO_OLD : correlatedOld(old, object, stripMeta);
  try {
    visit(root, object, rootOld, '', walk);
  } catch (e) {
    if (!(e instanceof BudgetExhausted)) throw e;
  }
  return walk;
}

/** The root compares without metadata: resourceVersion, managedFields and the like always change. */
function stripMeta(obj: unknown): unknown {
  if (!isObject(obj)) return obj;
  const { metadata: _, ...rest } = obj;
  return rest;
}
