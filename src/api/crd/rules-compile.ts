/**
 * The x-kubernetes-validations rules of a CRD schema, compiled once per
 * schema into a tree that mirrors the schema's nodes with rules beneath
 * them (apiextensions' cel.Validator). Each node's rules are type-checked
 * against `self` (and `oldSelf`) typed from that node's schema; compile
 * errors and cost estimates are kept for the CRD's own validation.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { compileExpression, referencesVariable, type CompiledExpression } from '../cel/compile.js';
import { cardinality, estimateCost } from '../cel/cost.js';
import { kubeEnvironment } from '../cel/environment.js';
import { SchemaTypes, withTypeAndObjectMeta } from '../cel/schema-types.js';
import type { CrdSchemaNode } from './crd-types.js';

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export interface CompiledRule {
  declared: ValidationRule;
  index: number;
  program?: CompiledExpression;
  messageProgram?: CompiledExpression;
  usesOldSelf: boolean;
  /** cel-go's wording of why the rule (or its messageExpression) does not compile. */
  ruleError?: string;
  messageError?: string;
  /** Estimated worst-case cost of one evaluation, and times the node can occur in one object. */
  cost: number;
  cardinality: number;
}

export interface RuleNode {
  schema: CrdSchemaNode;
  /** The schema as its rules see it (a resource root gains apiVersion, kind and metadata). */
  celSchema: CrdSchemaNode;
  rules: CompiledRule[];
  properties?: Map<string, RuleNode>;
  additionalProperties?: RuleNode;
  items?: RuleNode;
}

const rulesOf = (schema: CrdSchemaNode): ValidationRule[] => (schema['x-kubernetes-validations'] as ValidationRule[] | undefined) ?? [];

/** The environment for one node's rules: `self` and `oldSelf` (optional when the rule asks) typed from the schema. */
function nodeEnvironment(celSchema: CrdSchemaNode, optionalOldSelf: boolean): Environment {
  const env = kubeEnvironment();
  const type = new SchemaTypes(env, 'Object').declare(celSchema);
  return env.registerVariable('self', type).registerVariable('oldSelf', optionalOldSelf ? `optional<${type}>` : type);
}

function compileRules(celSchema: CrdSchemaNode, ancestors: CrdSchemaNode[]): CompiledRule[] {
  const declared = rulesOf(celSchema);
  if (!declared.length) return [];
  const envs = new Map<boolean, Environment>();
  const envFor = (optional: boolean): Environment => {
    let env = envs.get(optional);
    if (!env) envs.set(optional, (env = nodeEnvironment(celSchema, optional)));
    return env;
  };
  return declared.map((rule, index) => {
    const compiled: CompiledRule = { declared: rule, index, usesOldSelf: false, cost: 0, cardinality: cardinality(ancestors) };
    if (!rule.rule?.trim()) return compiled;
    let env: Environment;
    try {
      env = envFor(rule.optionalOldSelf === true);
    } catch (e) {
      // A schema the type declarations cannot express: the rule cannot be compiled against it.
      compiled.ruleError = `compilation failed: ${(e as Error).message}`;
      return compiled;
    }
    const result = compileExpression(env, rule.rule);
    if (!result.ok) compiled.ruleError = `compilation failed: ${result.error}`;
    else if (result.expression.type !== 'bool') compiled.ruleError = 'cel expression must evaluate to a bool';
    else {
      compiled.program = result.expression;
      compiled.usesOldSelf = referencesVariable(result.expression.ast, 'oldSelf');
      compiled.cost = estimateCost(result.expression.ast, { self: celSchema, oldSelf: celSchema });
    }
    if (rule.messageExpression?.trim()) {
      const message = compileExpression(env, rule.messageExpression);
      if (!message.ok) compiled.messageError = `messageExpression compilation failed: ${message.error}`;
      else if (!['string', 'dyn'].includes(message.expression.type)) compiled.messageError = 'must evaluate to a string';
      else {
        compiled.messageProgram = message.expression;
        compiled.cost += estimateCost(message.expression.ast, { self: celSchema, oldSelf: celSchema });
      }
    }
    return compiled;
  });
}

function build(schema: CrdSchemaNode, ancestors: CrdSchemaNode[], root: boolean): RuleNode | undefined {
  const celSchema = root || schema['x-kubernetes-embedded-resource'] ? withTypeAndObjectMeta(schema) : schema;
  const node: RuleNode = { schema, celSchema, rules: compileRules(celSchema, ancestors) };
  const below = [...ancestors, schema];
  let hasRules = node.rules.length > 0;
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const child = build(property, below, false);
    if (child) {
      (node.properties ??= new Map()).set(name, child);
      hasRules = true;
    }
  }
  if (typeof schema.additionalProperties === 'object') {
    node.additionalProperties = build(schema.additionalProperties, below, false);
    hasRules ||= node.additionalProperties !== undefined;
  }
  if (schema.items) {
    node.items = build(schema.items, below, false);
    hasRules ||= node.items !== undefined;
  }
  return hasRules ? node : undefined;
}

/** How many distinct schemas keep their compiled rules (KubeVirt has some twenty CRDs). */
const MAX_COMPILED = 64;
/** Compiled rule trees by their schema's text, least recently used first: the CRD's validation and its serving share one. */
const compiled = new Map<string, RuleNode | undefined>();

/**
 * The rule tree of a resource's schema; undefined when the schema has no rules at all. Compiled once per distinct
 * schema; `key` is the schema's JSON when the caller has it already (KubeVirt's schemas are megabytes).
 */
export function compileSchemaRules(schema: CrdSchemaNode | undefined, key = JSON.stringify(schema)): RuleNode | undefined {
  if (!schema) return undefined;
  if (compiled.has(key)) {
    const tree = compiled.get(key);
    compiled.delete(key);
    compiled.set(key, tree);
    return tree;
  }
  const tree = key.includes('"x-kubernetes-validations"') ? build(schema, [], true) : undefined;
  compiled.set(key, tree);
  if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  return tree;
}

/** Every compiled rule with the schema path of its node (`properties[spec].items`), depth first. */
export function* rulesWithPaths(node: RuleNode | undefined, path = ''): Generator<{ path: string; rule: CompiledRule }> {
  if (!node) return;
  for (const rule of node.rules) yield { path, rule };
  for (const [name, child] of node.properties ?? []) yield* rulesWithPaths(child, `${path}.properties[${name}]`);
  yield* rulesWithPaths(node.additionalProperties, `${path}.additionalProperties`);
  yield* rulesWithPaths(node.items, `${path}.items`);
}
