/**
 * Compiling a CEL expression against an environment: parse, type-check and
 * report errors as cel-go words them (`ERROR: <input>:1:3: undeclared
 * reference to 'ip' (in container '')` followed by the source line and a
 * caret), which is what kube-apiserver puts in its messages.
 */
import type { ASTNode, Environment, ParseResult } from '@marcbachmann/cel-js';

export interface CompiledExpression {
  source: string;
  /** Evaluates with the given variables; may return a Promise when an async function (the authorizer) is called. */
  run: ParseResult;
  ast: ASTNode;
  /** The checked result type (`bool`, `string`, `dyn`, ...). */
  type: string;
}

export type CompileResult = { ok: true; expression: CompiledExpression } | { ok: false; error: string };

interface LibraryError {
  message: string;
  code?: string;
  summary?: string;
  range?: { start: number; end: number };
}

/** Rewords the library's errors as cel-go's checker and parser say them. */
function celGoMessage(error: LibraryError, env: Environment): string {
  const summary = error.summary ?? error.message.split('\n')[0];
  let m: RegExpExecArray | null;
  if ((m = /^Unknown variable: (.+)$/.exec(summary))) return `undeclared reference to '${m[1]}' (in container '')`;
  if ((m = /^No such key: (.+)$/.exec(summary))) return `undefined field '${m[1]}'`;
  if ((m = /^Cannot index type '(.+)'$/.exec(summary))) return `type '${m[1]}' does not support field selection`;
  if ((m = /^no such overload: (\S+) (\S+) (\S+)$/.exec(summary)))
    return `found no matching overload for '_${m[2]}_' applied to '(${m[1]}, ${m[3]})'`;
  if ((m = /^found no matching overload for '(?:(.+)\.)?([A-Za-z_][\w]*)\((.*)\)'$/.exec(summary))) {
    const [, receiver, name, args] = m;
    if (!knownFunctions(env).has(name)) return `undeclared reference to '${name}' (in container '')`;
    return `found no matching overload for '${name}' applied to '${receiver ? `${receiver}.` : ''}(${args})'`;
  }
  return summary;
}

const functionNames = new WeakMap<Environment, Set<string>>();

function knownFunctions(env: Environment): Set<string> {
  let names = functionNames.get(env);
  if (!names) {
    const definitions = env.getDefinitions() as { functions?: { name: string }[] };
    names = new Set((definitions.functions ?? []).map((f) => f.name.split('.').pop() as string));
    functionNames.set(env, names);
  }
  return names;
}

/** `ERROR: <input>:line:col: message` with the offending line and a caret under the column. */
export function formatCelError(source: string, message: string, offset = 0): string {
  const before = source.slice(0, offset).split('\n');
  const line = before.length;
  const column = before[before.length - 1].length;
  const text = source.split('\n')[line - 1] ?? '';
  return `ERROR: <input>:${line}:${column + 1}: ${message}\n | ${text}\n | ${'.'.repeat(column)}^`;
}

export function compileExpression(env: Environment, source: string): CompileResult {
  let run: ParseResult;
  try {
    run = env.parse(source);
  } catch (e) {
    const error = e as LibraryError;
    return { ok: false, error: formatCelError(source, `Syntax error: ${celGoMessage(error, env)}`, error.range?.start) };
  }
  const checked = run.check();
  if (!checked.valid) {
    const error = checked.error as LibraryError;
    return { ok: false, error: formatCelError(source, celGoMessage(error, env), error.range?.start) };
  }
  return { ok: true, expression: { source, run, ast: run.ast, type: checked.type ?? 'dyn' } };
}

/** Whether the expression reads the variable `name` (transition rules read `oldSelf`). */
export function referencesVariable(node: ASTNode, name: string): boolean {
  if (node.op === 'id') return node.args === name;
  const visit = (value: unknown): boolean => {
    if (Array.isArray(value)) return value.some(visit);
    return typeof value === 'object' && value !== null && 'op' in value && referencesVariable(value as ASTNode, name);
  };
  return visit(node.args);
}

/** A runtime error as cel-go words it (`no such key: x`, `index out of bounds: 5`, `division by zero`). */
export function celRuntimeMessage(error: unknown): string {
  const summary = (error as { summary?: string }).summary ?? (error as Error).message.split('\n')[0];
  const index = /^No such key: index out of bounds, index (\d+)/.exec(summary);
  if (index) return `index out of bounds: ${index[1]}`;
  if (summary.startsWith('integer overflow')) return 'integer overflow';
  return summary.replace(/^No such key: /, 'no such key: ');
}
