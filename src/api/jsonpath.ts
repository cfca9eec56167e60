/**
 * Kubernetes JSONPath (k8s.io/client-go/util/jsonpath), the dialect of CRD
 * additionalPrinterColumns and `kubectl wait --for=jsonpath`: `.a.b`, `[0]`,
 * `[-1]`, `[1:3]`, `[*]`, `.*`, `..name`, `['a.b']`, `[?(@.type=='Ready')]`
 * with == != < > <= >=, optional `{...}` braces. Missing keys yield no
 * result rather than an error (the apiserver evaluates printer columns with
 * AllowMissingKeys).
 */
import { humanDuration } from './tables/duration.js';

type Literal = string | number | boolean;
type Operand = { path: Step[]; fromRoot: boolean } | { literal: Literal };
type ComparisonOperator = '==' | '!=' | '<' | '>' | '<=' | '>=';
interface Filter {
  left: Operand;
  operator?: ComparisonOperator;
  right?: Operand;
}
type IndexSpec = { index: number } | { start?: number; end?: number; step?: number };
type Step =
  | { kind: 'field'; names: string[] }
  | { kind: 'wildcard' }
  | { kind: 'recursive' }
  | { kind: 'index'; specs: IndexSpec[] }
  | { kind: 'filter'; filter: Filter };

export type JsonPathEvaluator = (obj: unknown) => unknown[];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- parsing ----

/** Characters that end an unbracketed field name (client-go's isTerminator). */
const isTerminator = (ch: string | undefined) => ch === undefined || /[\s.,[\]$@{}]/.test(ch);

class PathParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Step[] {
    const steps: Step[] = [];
    if (this.text[this.pos] === '$' || this.text[this.pos] === '@') this.pos++;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos];
      if (/\s/.test(ch)) this.pos++;
      else if (this.text.startsWith('..', this.pos)) {
        this.pos += 2;
        steps.push({ kind: 'recursive' });
        if (!isTerminator(this.text[this.pos])) steps.push(this.fieldStep());
      } else if (ch === '.') {
        this.pos++;
        if (!isTerminator(this.text[this.pos])) steps.push(this.fieldStep());
      } else if (ch === '[') steps.push(this.bracketStep());
      else if (!isTerminator(ch)) steps.push(this.fieldStep());
      else throw new Error(`unrecognized character in action: ${JSON.stringify(ch)}`);
    }
    return steps;
  }

  private fieldStep(): Step {
    let name = '';
    while (!isTerminator(this.text[this.pos])) {
      // A backslash escapes the next character, so `.a\.b` names the key "a.b".
      if (this.text[this.pos] === '\\' && this.pos + 1 < this.text.length) this.pos++;
      name += this.text[this.pos++];
    }
    return name === '*' ? { kind: 'wildcard' } : { kind: 'field', names: [name] };
  }

  /** Reads up to the `]` that closes this bracket, skipping quoted text and nested brackets. */
  private bracketBody(): string {
    const start = ++this.pos;
    let depth = 0;
    let quote: string | undefined;
    for (; this.pos < this.text.length; this.pos++) {
      const ch = this.text[this.pos];
      if (quote) {
        if (ch === '\\') this.pos++;
        else if (ch === quote) quote = undefined;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '[' || ch === '(') depth++;
      else if (ch === ')') depth--;
      else if (ch === ']') {
        if (depth === 0) return this.text.slice(start, this.pos++);
        depth--;
      }
    }
    throw new Error('unterminated array');
  }

  private bracketStep(): Step {
    const body = this.bracketBody().trim();
    if (body.startsWith('?')) {
      const inner = body.slice(1).trim();
      if (!inner.startsWith('(') || !inner.endsWith(')')) throw new Error(`unrecognized filter: ${body}`);
      return { kind: 'filter', filter: parseFilter(inner.slice(1, -1)) };
    }
    const parts = splitOutsideQuotes(body, ',').map((p) => p.trim());
    if (parts.every((p) => /^(['"]).*\1$/s.test(p))) return { kind: 'field', names: parts.map(unquote) };
    return { kind: 'index', specs: parts.map(parseIndexSpec) };
  }
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const unquote = (quoted: string): string => quoted.slice(1, -1).replace(/\\(.)/g, '$1');

function parseIndexSpec(spec: string): IndexSpec {
  if (spec === '*') return {};
  const toInt = (s: string): number | undefined => {
    if (s.trim() === '') return undefined;
    if (!/^\s*-?\d+\s*$/.test(s)) throw new Error(`invalid array index ${s}`);
    return Number(s);
  };
  const pieces = spec.split(':');
  if (pieces.length === 1) return { index: toInt(pieces[0]) ?? 0 };
  if (pieces.length > 3) throw new Error(`invalid array index ${spec}`);
  return { start: toInt(pieces[0]), end: toInt(pieces[1]), step: pieces[2] === undefined ? undefined : toInt(pieces[2]) };
}

const comparisonOperators: ComparisonOperator[] = ['==', '!=', '<=', '>=', '<', '>'];

function parseFilter(text: string): Filter {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      continue;
    }
    const operator = comparisonOperators.find((op) => text.startsWith(op, i));
    if (operator) return { left: parseOperand(text.slice(0, i)), operator, right: parseOperand(text.slice(i + operator.length)) };
  }
  return { left: parseOperand(text) };
}

function parseOperand(raw: string): Operand {
  const text = raw.trim();
  if (text.startsWith('@') || text.startsWith('$')) return { path: new PathParser(text).parse(), fromRoot: text.startsWith('$') };
  if (/^(['"]).*\1$/s.test(text)) return { literal: unquote(text) };
  if (text === 'true' || text === 'false') return { literal: text === 'true' };
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return { literal: Number(text) };
  throw new Error(`unrecognized filter operand: ${text}`);
}

/** Splits a template into its `{...}` actions; text without braces is one action. */
function actionsOf(expr: string): string[] {
  if (!expr.includes('{')) return [expr.trim()];
  const actions: string[] = [];
  const pattern = /\{((?:[^{}'"]|'[^']*'|"[^"]*")*)\}/g;
  for (let m = pattern.exec(expr); m; m = pattern.exec(expr)) actions.push(m[1].trim());
  return actions;
}

// ---- evaluation ----

function recursiveNodes(value: unknown, out: unknown[]): void {
  const children = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
  if (children.length === 0) return;
  out.push(value);
  for (const child of children) recursiveNodes(child, out);
}

function sliceOf(list: unknown[], spec: IndexSpec): unknown[] {
  const len = list.length;
  if ('index' in spec) {
    const i = spec.index < 0 ? spec.index + len : spec.index;
    return i >= 0 && i < len ? [list[i]] : [];
  }
  const clamp = (n: number) => Math.min(Math.max(n < 0 ? n + len : n, 0), len);
  const start = clamp(spec.start ?? 0);
  const end = clamp(spec.end ?? len);
  const step = spec.step && spec.step > 0 ? spec.step : 1;
  const out: unknown[] = [];
  for (let i = start; i < end; i += step) out.push(list[i]);
  return out;
}

function compare(left: unknown, operator: ComparisonOperator, right: unknown): boolean {
  if (operator === '==') return left === right;
  if (operator === '!=') return left !== right;
  const comparable = (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string');
  if (!comparable) return false;
  const [l, r] = [left as number | string, right as number | string];
  return operator === '<' ? l < r : operator === '>' ? l > r : operator === '<=' ? l <= r : l >= r;
}

function operandValues(operand: Operand, current: unknown, root: unknown): unknown[] {
  return 'literal' in operand ? [operand.literal] : evalSteps([operand.fromRoot ? root : current], operand.path, root);
}

function filterMatches(filter: Filter, element: unknown, root: unknown): boolean {
  const lefts = operandValues(filter.left, element, root);
  if (!filter.operator || !filter.right) return lefts.length > 0;
  const rights = operandValues(filter.right, element, root);
  return lefts.length > 0 && rights.length > 0 && compare(lefts[0], filter.operator, rights[0]);
}

function applyStep(values: unknown[], step: Step, root: unknown): unknown[] {
  const out: unknown[] = [];
  for (const value of values) {
    switch (step.kind) {
      case 'field':
        if (isObject(value)) for (const name of step.names) if (Object.hasOwn(value, name)) out.push(value[name]);
        break;
      case 'wildcard':
        if (isObject(value)) out.push(...Object.values(value));
        break;
      case 'recursive':
        recursiveNodes(value, out);
        break;
      case 'index':
        if (Array.isArray(value)) for (const spec of step.specs) out.push(...sliceOf(value, spec));
        break;
      case 'filter':
        if (Array.isArray(value)) out.push(...value.filter((element) => filterMatches(step.filter, element, root)));
        break;
    }
  }
  return out;
}

function evalSteps(start: unknown[], steps: Step[], root: unknown): unknown[] {
  return steps.reduce((values, step) => applyStep(values, step, root), start);
}

/** Parses once; the evaluator returns every result of every action, in order. Throws on a malformed path. */
export function compileJsonPath(expr: string): JsonPathEvaluator {
  const paths = actionsOf(expr).map((action) => new PathParser(action).parse());
  return (obj) => paths.flatMap((steps) => evalSteps([obj], steps, obj));
}

export function evaluateJsonPath(expr: string, obj: unknown): unknown[] {
  return compileJsonPath(expr)(obj);
}

// ---- printer columns ----

export type PrinterColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

/** encoding/json's compact form: sorted keys and HTML-safe escapes, as the apiserver writes objects into string cells. */
export function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${goJson(k)}:${goJson(value[k])}`);
    return `{${entries.join(',')}}`;
  }
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A date cell: the age of the timestamp, `<unknown>` for the zero time, `<invalid>` if it does not parse. */
export function dateCell(timestamp: string, now: Date): string {
  if (!rfc3339.test(timestamp)) return '<invalid>';
  const time = Date.parse(timestamp);
  if (timestamp.startsWith('0001-01-01T00:00:00')) return '<unknown>';
  return humanDuration(now.getTime() - time);
}

/**
 * What the apiserver's CRD table convertor puts in a cell for the first
 * result of a column's path: strings print as text (objects and arrays as
 * compact JSON, null as `<no value>`), typed columns keep only values of
 * their type (integers truncated), dates become ages; anything else is null.
 */
export function printerCell(type: string, value: unknown, now: Date): unknown {
  if (value === undefined) return null;
  switch (type) {
    case 'string':
      if (value === null) return '<no value>';
      return typeof value === 'object' ? goJson(value) : String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? dateCell(value, now) : null;
    default:
      return null;
  }
}

/**
 * The cell for an additionalPrinterColumn: its path's first result, rendered
 * by printerCell; null when absent. Date columns need `now` (the clock is
 * never read here).
 */
export function printerCellValue(expr: string, obj: unknown, type: PrinterColumnType = 'string', now?: Date): unknown {
  if (type === 'date' && !now) throw new Error('a date column needs the current time');
  const results = evaluateJsonPath(expr, obj);
  return results.length === 0 ? null : printerCell(type, results[0], now ?? new Date(0));
}
