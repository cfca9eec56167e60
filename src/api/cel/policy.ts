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

/** The admission environment; `variables` is a map whose entries are computed on first read. */
function admissionEnvironment(): Environment {
  if (!admissionBase) {
    admissionBase = kubeEnvironment();
    registerAuthzLibrary(admissionBase);
    for (const name of ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'variables'])
      admissionBase.registerVariable(name, 'dyn');
    admissionBase.registerVariable('authorizer', 'kubernetes.authorization.Authorizer');
  }
  return admissionBase.clone();
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
