/**
 * Compiling a ValidatingAdmissionPolicy's CEL: matchConditions, variables,
 * validations (expression and messageExpression) and auditAnnotations, in
 * the admission environment (object, oldObject, request, params,
 * namespaceObject, authorizer, variables). Compile errors are the policy's
 * write-time field errors, as kube's admissionregistration validation words
 * them; the compiled form is what the admission plugin evaluates.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { invalidValue } from '../builtins/field-errors.js';
import type { FieldError } from '../errors.js';
import { compileExpression, type CompiledExpression } from './compile.js';
import { kubeEnvironment } from './environment.js';
import { registerAuthzLibrary } from './library-authz.js';
import { SchemaTypes } from './schema-types.js';
import type { CrdSchemaNode } from '../crd/crd-types.js';

export interface PolicyExpression {
  expression: string;
}

export interface PolicySpec {
  paramKind?: { apiVersion?: string; kind?: string };
  matchConstraints?: unknown;
  matchConditions?: Array<{ name: string; expression: string }>;
  variables?: Array<{ name: string; expression: string }>;
  validations?: Array<{ expression: string; message?: string; messageExpression?: string; reason?: string }>;
  auditAnnotations?: Array<{ key: string; valueExpression: string }>;
  failurePolicy?: 'Fail' | 'Ignore';
}

export interface CompiledPolicy {
  matchConditions: Array<{ name: string; program: CompiledExpression }>;
  variables: Array<{ name: string; program: CompiledExpression }>;
  validations: Array<{ program: CompiledExpression; message?: string; messageProgram?: CompiledExpression; reason?: string }>;
  auditAnnotations: Array<{ key: string; program: CompiledExpression }>;
  /** Why an expression does not compile, at its field path (`spec.validations[0].expression`). */
  errors: FieldError[];
}

let admissionBase: Environment | undefined;

/**
 * The admission environment: `object` and `oldObject` of the given type (dyn
 * unless type checking against a kind), the other request variables dynamic;
 * `variables` is a map whose entries are computed on first read.
 */
function admissionEnvironment(declareObjectType?: (env: Environment) => string): Environment {
  if (!admissionBase) {
    admissionBase = kubeEnvironment();
    registerAuthzLibrary(admissionBase);
  }
  const env = admissionBase.clone();
  const objectType = declareObjectType?.(env) ?? 'dyn';
  env.registerVariable('object', objectType).registerVariable('oldObject', objectType);
  for (const name of ['request', 'params', 'namespaceObject', 'variables']) env.registerVariable(name, 'dyn');
  return env.registerVariable('authorizer', 'kubernetes.authorization.Authorizer');
}

const cache = new WeakMap<object, CompiledPolicy>();

/** Compiles `spec` once per (immutable, stored) spec object. */
export function compilePolicy(spec: PolicySpec): CompiledPolicy {
  let compiled = cache.get(spec);
  if (compiled) return compiled;
  const env = admissionEnvironment();
  const errors: FieldError[] = [];
  const compile = (path: string, source: string, type?: string): CompiledExpression | undefined => {
    const result = compileExpression(env, source);
    if (!result.ok) {
      errors.push(invalidValue(path, source, `compilation failed: ${result.error}`));
      return undefined;
    }
    if (type && !['dyn', type].includes(result.expression.type)) {
      errors.push(invalidValue(path, source, `must evaluate to ${type}`));
      return undefined;
    }
    return result.expression;
  };
  const present = <T>(items: Array<T | undefined>): T[] => items.filter((x): x is T => x !== undefined);
  compiled = {
    matchConditions: present(
      (spec.matchConditions ?? []).map((c, i) => {
        const program = compile(`spec.matchConditions[${i}].expression`, c.expression, 'bool');
        return program && { name: c.name, program };
      }),
    ),
    variables: present(
      (spec.variables ?? []).map((v, i) => {
        const program = compile(`spec.variables[${i}].expression`, v.expression);
        return program && { name: v.name, program };
      }),
    ),
    validations: present(
      (spec.validations ?? []).map((v, i) => {
        const program = compile(`spec.validations[${i}].expression`, v.expression, 'bool');
        const messageProgram = v.messageExpression
          ? compile(`spec.validations[${i}].messageExpression`, v.messageExpression, 'string')
          : undefined;
        return program && { program, message: v.message, messageProgram, reason: v.reason };
      }),
    ),
    auditAnnotations: present(
      (spec.auditAnnotations ?? []).map((a, i) => {
        const program = compile(`spec.auditAnnotations[${i}].valueExpression`, a.valueExpression);
        return program && { key: a.key, program };
      }),
    ),
    errors,
  };
  cache.set(spec, compiled);
  return compiled;
}

/** Every expression of a policy with its field path, for type checking against the kinds it matches. */
function expressionsOf(spec: PolicySpec): Array<{ fieldRef: string; source: string }> {
  return [
    ...(spec.matchConditions ?? []).map((c, i) => ({ fieldRef: `spec.matchConditions[${i}].expression`, source: c.expression })),
    ...(spec.variables ?? []).map((v, i) => ({ fieldRef: `spec.variables[${i}].expression`, source: v.expression })),
    ...(spec.validations ?? []).flatMap((v, i) => [
      { fieldRef: `spec.validations[${i}].expression`, source: v.expression },
      ...(v.messageExpression ? [{ fieldRef: `spec.validations[${i}].messageExpression`, source: v.messageExpression }] : []),
    ]),
    ...(spec.auditAnnotations ?? []).map((a, i) => ({
      fieldRef: `spec.auditAnnotations[${i}].valueExpression`,
      source: a.valueExpression,
    })),
  ];
}

/**
 * The type-checking warnings of kube's policy status controller: each
 * expression checked with `object` and `oldObject` typed from the schema of
 * a kind the policy matches (metadata left dynamic), worded
 * `<apiVersion>, Kind=<kind>: <cel-go error>`.
 */
export function typeCheckWarnings(
  spec: PolicySpec,
  kinds: Array<{ apiVersion: string; kind: string; schema: CrdSchemaNode }>,
): Array<{ fieldRef: string; warning: string }> {
  const warnings = new Map<string, string[]>();
  for (const { apiVersion, kind, schema } of kinds) {
    const typed = {
      ...schema,
      properties: { ...schema.properties, metadata: {}, apiVersion: { type: 'string' }, kind: { type: 'string' } },
    };
    const env = admissionEnvironment((e) => new SchemaTypes(e, 'Object').declare(typed));
    for (const { fieldRef, source } of expressionsOf(spec)) {
      const result = compileExpression(env, source);
      if (!result.ok) warnings.set(fieldRef, [...(warnings.get(fieldRef) ?? []), `${apiVersion}, Kind=${kind}: ${result.error}`]);
    }
  }
  return [...warnings].map(([fieldRef, lines]) => ({ fieldRef, warning: lines.join('\n') }));
}
