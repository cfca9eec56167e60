/**
 * Reads a scenario file: YAML parsed with source positions, each step's
 * action checked by name first (so an unknown step type gets its own clear
 * message), then the whole document validated against
 * schemas/scenario.schema.json. Every error names the file, line and column.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { STEP_TYPES, type Scenario } from './types.js';

const SCHEMA_URL = new URL('../../schemas/scenario.schema.json', import.meta.url);

export class ScenarioLoadError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'ScenarioLoadError';
  }
}

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object);
  return validator;
}

type PathSegment = string | number;

/** The key node of a map entry (so a complaint about a field points at its name), else the value node. */
function nodeAt(doc: Document, path: PathSegment[]): Node | undefined {
  if (path.length === 0) return doc.contents ?? undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[path.length - 1]));
    if (pair && isScalar(pair.key)) return pair.key;
  }
  return doc.getIn(path, true) as Node | undefined;
}

/** Where in the file a path of the document points; the nearest existing ancestor when the path itself is absent. */
function positionOf(doc: Document, lines: LineCounter, path: PathSegment[]): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = nodeAt(doc, path.slice(0, depth));
    if (node?.range) return lines.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

/** steps[2].wait.timeout */
const describePath = (path: PathSegment[]): string =>
  path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('') || '(document)';

const pathOfPointer = (pointer: string): PathSegment[] =>
  pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));

/** ajv's message, in words a scenario author recognises. */
function reasonOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown field "${String(params.additionalProperty)}"`;
    case 'required':
      return `missing required field "${String(params.missingProperty)}"`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return error.instancePath.endsWith('timeout') || error.instancePath.endsWith('interval') || error.instancePath.endsWith('advance')
        ? 'must be a duration such as 500ms, 30s, 2m or 1h30m'
        : `must match ${String(params.pattern)}`;
    case 'oneOf':
      return params.passingSchemas ? 'must give only one of the alternative fields' : 'matches none of the allowed forms';
    default:
      return error.message ?? error.keyword;
  }
}

/** Generic complaints of alternatives (a oneOf branch of another type) rank after concrete ones at the same place. */
const GENERIC_KEYWORDS = ['type', 'oneOf'];

/** The most telling error: the deepest one, preferring a concrete complaint over "must be string" or "matches none of oneOf". */
function mostSpecific(errors: ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject) => e.instancePath.split('/').length;
  const rank = (e: ErrorObject) => GENERIC_KEYWORDS.indexOf(e.keyword);
  return [...errors].sort((a, b) => depth(b) - depth(a) || rank(a) - rank(b))[0];
}

/** Each step must have exactly one action, named from STEP_TYPES; walks nested repeat steps. */
function checkStepActions(doc: Document, fail: (path: PathSegment[], reason: string) => never): void {
  const walk = (stepsPath: PathSegment[]): void => {
    const steps = doc.getIn(stepsPath, true);
    if (!isSeq(steps)) return;
    steps.items.forEach((item, index) => {
      const path = [...stepsPath, index];
      if (!isMap(item)) return;
      const keys = item.items.map((pair) => String((pair.key as { value?: unknown } | null)?.value ?? pair.key));
      const actions = keys.filter((key) => key !== 'name');
      const unknown = actions.find((key) => !(STEP_TYPES as readonly string[]).includes(key));
      if (unknown !== undefined) fail([...path, unknown], `unknown step type "${unknown}" (expected one of ${STEP_TYPES.join(', ')})`);
      if (actions.length === 0) fail(path, `step has no action (expected one of ${STEP_TYPES.join(', ')})`);
      if (actions.length > 1) fail([...path, actions[1]], `a step has exactly one action, this one has ${actions.join(' and ')}`);
      if (actions[0] === 'repeat') walk([...path, 'repeat', 'steps']);
    });
  };
  walk(['steps']);
}

export function parseScenario(text: string, file: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const fail = (path: PathSegment[], reason: string): never => {
    const { line, col } = positionOf(doc, lines, path);
    throw new ScenarioLoadError(file, line, col, path.length ? `${describePath(path)}: ${reason}` : reason);
  };
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = lines.linePos(syntax.pos[0]);
    throw new ScenarioLoadError(file, line, col, `invalid YAML: ${syntax.message.split('\n')[0]}`);
  }
  checkStepActions(doc, fail);
  const value: unknown = doc.toJS();
  const check = validate();
  if (!check(value)) {
    const error = mostSpecific(check.errors ?? []);
    const path = pathOfPointer(error.instancePath);
    const extra =
      error.keyword === 'additionalProperties' ? [String((error.params as { additionalProperty: string }).additionalProperty)] : [];
    fail([...path, ...extra], reasonOf(error));
  }
  return { ...(value as Omit<Scenario, 'file'>), file };
}

export function loadScenario(path: string): Scenario {
  const file = resolve(path);
  return parseScenario(readFileSync(file, 'utf8'), file);
}
