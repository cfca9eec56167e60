/**
 * One policy evaluated for one binding and one param object, as kube's
 * validating policy validator does: matchConditions first (any false: the
 * policy does not apply), then every validation. A false validation is a
 * failure with its message, messageExpression or "failed expression: ...";
 * an evaluation error is a failure under failurePolicy Fail and ignored
 * under Ignore, and so is an audit annotation that fails to evaluate.
 * Variables are computed when first read.
 */
import { celRuntimeMessage, type CompiledExpression } from '../../api/cel/compile.js';
import type { CompiledPolicy } from '../../api/cel/policy.js';

export interface PolicyFailure {
  message: string;
  /** The Status reason of the denial (Invalid unless the validation says otherwise). */
  reason: string;
}

export interface CelContext {
  object: unknown;
  oldObject: unknown;
  request: unknown;
  params: unknown;
  namespaceObject: unknown;
  authorizer: unknown;
}

function lazyVariables(policy: CompiledPolicy, context: Record<string, unknown>): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const { name, program } of policy.variables) {
    let cached: { value: unknown } | undefined;
    Object.defineProperty(variables, name, {
      enumerable: true,
      get: () => {
        cached ??= { value: program.run(context) };
        return cached.value;
      },
    });
  }
  return variables;
}

const resultOf = (program: CompiledExpression, context: Record<string, unknown>): unknown => program.run(context);

/**
 * The failures of the policy for this request, or undefined when its
 * matchConditions exclude the request. `failClosed` is failurePolicy Fail.
 */
export function evaluatePolicy(policy: CompiledPolicy, variables: CelContext, failClosed: boolean): PolicyFailure[] | undefined {
  const context: Record<string, unknown> = { ...variables };
  context.variables = lazyVariables(policy, context);
  const failures: PolicyFailure[] = [];
  const evaluationError = (program: CompiledExpression, e: unknown): void => {
    if (failClosed)
      failures.push({ message: `expression '${program.source}' resulted in error: ${celRuntimeMessage(e)}`, reason: 'Invalid' });
  };
  for (const condition of policy.matchConditions) {
    try {
      if (resultOf(condition.program, context) !== true) return undefined;
    } catch (e) {
      evaluationError(condition.program, e);
      return failures;
    }
  }
  for (const validation of policy.validations) {
    let result: unknown;
    try {
      result = resultOf(validation.program, context);
    } catch (e) {
      evaluationError(validation.program, e);
      continue;
    }
    if (result === true) continue;
    failures.push({ message: failureMessage(validation, context), reason: validation.reason ?? 'Invalid' });
  }
  // Audit annotations go to an audit log the emulator does not keep, but an error computing one still counts.
  for (const annotation of policy.auditAnnotations) {
    try {
      const value = resultOf(annotation.program, context);
      if (value !== null && typeof value !== 'string')
        throw new Error(`valueExpression must evaluate to a string or null, got ${typeof value}`);
    } catch (e) {
      evaluationError(annotation.program, e);
    }
  }
  return failures;
}

function failureMessage(validation: CompiledPolicy['validations'][number], context: Record<string, unknown>): string {
  if (validation.messageProgram) {
    try {
      const message = validation.messageProgram.run(context);
      if (typeof message === 'string' && message.trim() && !message.includes('\n')) return message.trim();
    } catch {
      // kube falls back to the static message when messageExpression fails.
    }
  }
  return validation.message?.trim() || `failed expression: ${validation.program.source.trim()}`;
}
