/**
 * What a failed step reports (what it looked at, what it expected, what it
 * found), and the comparisons `wait` and `expect` make on JSONPath results
 * (Kubernetes JSONPath, src/api/jsonpath.ts, as `kubectl wait --for=jsonpath`).
 */
import { isDeepStrictEqual } from 'node:util';
import { evaluateJsonPath, goJson } from '../api/jsonpath.js';

export interface FailureDetail {
  /** What was looked at: "vm/vm-cirros {.status.printableStatus}", "kubectl exit code", ... */
  path?: string;
  expected?: unknown;
  actual?: unknown;
}

export class StepFailure extends Error {
  constructor(
    message: string,
    readonly detail: FailureDetail = {},
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** The results of a JSONPath, with or without kubectl's braces. */
export function jsonPathValues(expr: string, obj: unknown): unknown[] {
  try {
    return evaluateJsonPath(expr, obj);
  } catch (err) {
    throw new StepFailure(`invalid JSONPath ${expr}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** kubectl's text of JSONPath results: scalars as they are, objects as JSON, several results space-separated. */
export function jsonPathText(values: unknown[]): string {
  return values.map((v) => (typeof v === 'object' && v !== null ? goJson(v) : String(v))).join(' ');
}

/** A scalar expectation compares with the results' text; an object or list with the single result (or all of them). */
export function matchesExpected(expected: unknown, values: unknown[]): boolean {
  if (typeof expected === 'object' && expected !== null) {
    const actual = values.length === 1 ? values[0] : values;
    return isDeepStrictEqual(actual, expected);
  }
  return values.length > 0 && jsonPathText(values) === String(expected);
}

/** The actual value to show beside the expected one: absent, the single result, or all results. */
export function shownActual(values: unknown[]): unknown {
  return values.length === 0 ? '<absent>' : values.length === 1 ? values[0] : values;
}

export function matchesText(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text);
  } catch (err) {
    throw new StepFailure(`invalid regular expression /${pattern}/: ${err instanceof Error ? err.message : String(err)}`);
  }
}
