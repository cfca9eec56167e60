/**
 * Label selectors in both forms Kubernetes uses: the string form of the
 * `labelSelector` query parameter (parsed like k8s.io/apimachinery/pkg/labels,
 * with the same error messages) and the object form (`matchLabels` plus
 * `matchExpressions`) of Deployments, ReplicaSets, PDBs and webhooks.
 */
import { badRequest } from '../errors.js';
import { invalidFieldMessage, labelKeyErrors, labelValueErrors } from './label-validation.js';

export type Labels = Record<string, string> | undefined;
export type LabelMatcher = (labels: Labels) => boolean;

export type SelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/** metav1.LabelSelector. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

// ---- lexer: the same tokens and the same longest-match rule as labels.Lexer ----

type Token = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';
interface Scanned {
  tok: Token;
  lit: string;
}

const literalTokens: Record<string, Token> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string) => '=!(),><'.includes(ch);

function lex(input: string): Scanned[] {
  const items: Scanned[] = [];
  let pos = 0;
  for (;;) {
    while (pos < input.length && isWhitespace(input[pos])) pos++;
    if (pos >= input.length) {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    const start = pos;
    if (isSpecialSymbol(input[pos])) {
      // Grow the symbol while it still names a token, as scanSpecialSymbol does.
      let best: Scanned | undefined;
      while (pos < input.length && isSpecialSymbol(input[pos])) {
        const candidate = literalTokens[input.slice(start, pos + 1)];
        if (candidate) best = { tok: candidate, lit: input.slice(start, pos + 1) };
        else if (best) break;
        pos++;
      }
      if (!best) {
        items.push({ tok: 'error', lit: `error expected: keyword found '${input.slice(start, pos)}'` });
        continue;
      }
      pos = start + best.lit.length;
      items.push(best);
    } else {
      while (pos < input.length && !isSpecialSymbol(input[pos]) && !isWhitespace(input[pos])) pos++;
      const word = input.slice(start, pos);
      items.push({ tok: literalTokens[word] ?? 'id', lit: word });
    }
  }
}

// ---- parser: labels.Parser, keeping its context rule that `in`/`notin` are plain words where values are expected ----

class Parser {
  private position = 0;
  constructor(private readonly items: Scanned[]) {}

  private peek(valuesContext: boolean): Scanned {
    return this.asContext(this.items[this.position], valuesContext);
  }

  private next(valuesContext: boolean): Scanned {
    return this.asContext(this.items[this.position++], valuesContext);
  }

  private asContext(item: Scanned, valuesContext: boolean): Scanned {
    return valuesContext && (item.tok === 'in' || item.tok === 'notin') ? { tok: 'id', lit: item.lit } : item;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === 'eos') return requirements;
      if (tok !== 'id' && tok !== '!') throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        requirements.push(this.parseRequirement());
      } catch (err) {
        throw new Error(`unable to parse requirement: ${(err as Error).message}`);
      }
      const after = this.next(true);
      if (after.tok === 'eos') return requirements;
      if (after.tok !== ',') throw new Error(`found '${after.lit}', expected: ',' or 'end of string'`);
      const following = this.peek(true);
      if (following.tok !== 'id' && following.tok !== '!') throw new Error(`found '${following.lit}', expected: identifier after ','`);
    }
  }

  private parseRequirement(): LabelRequirement {
    let { tok, lit } = this.next(true);
    const negated = tok === '!';
    if (negated) ({ tok, lit } = this.next(true));
    if (tok !== 'id') throw new Error(`found '${lit}', expected: identifier`);
    const keyErrors = labelKeyErrors(lit);
    if (keyErrors.length) throw new Error(invalidFieldMessage('<nil>', lit, keyErrors));
    const key = lit;
    const ahead = this.peek(true).tok;
    if (ahead === 'eos' || ahead === ',') return { key, operator: negated ? '!' : 'exists', values: [] };
    if (negated) return { key, operator: '!', values: [] };
    const operator = this.parseOperator();
    const values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, operator, values);
  }

  private parseOperator(): SelectorOperator {
    const { tok, lit } = this.next(false);
    const operators: Partial<Record<Token, SelectorOperator>> = {
      in: 'in',
      '=': '=',
      '==': '==',
      '>': 'gt',
      '<': 'lt',
      notin: 'notin',
      '!=': '!=',
    };
    const op = operators[tok];
    if (!op) throw new Error(`found '${lit}', expected: in, notin, =, ==, !=, gt, lt`);
    return op;
  }

  private parseValues(): string[] {
    const open = this.next(true);
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek(true);
    if (tok === ')') {
      this.next(true);
      return [''];
    }
    if (tok !== 'id' && tok !== ',') throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    if (this.next(true).tok !== ')') throw new Error(`found '${lit}', expected: ')'`);
    return values;
  }

  private parseIdentifiersList(): string[] {
    const values = new Set<string>();
    for (;;) {
      const { tok, lit } = this.next(true);
      if (tok === 'id') {
        values.add(lit);
        const ahead = this.peek(true);
        if (ahead.tok === ',') continue;
        if (ahead.tok === ')') return [...values].sort();
        throw new Error(`found '${ahead.lit}', expected: ',' or ')'`);
      }
      if (tok !== ',') throw new Error(`found '${lit}', expected: ',', or identifier`);
      // "(,", ",," and ",)" each stand for an empty value.
      if (values.size === 0) values.add('');
      const ahead = this.peek(true).tok;
      if (ahead === ')') {
        values.add('');
        return [...values].sort();
      }
      if (ahead === ',') values.add('');
    }
  }

  private parseExactValue(): string[] {
    const ahead = this.peek(true).tok;
    if (ahead === 'eos' || ahead === ',') return [''];
    const { tok, lit } = this.next(true);
    if (tok === 'id') return [lit];
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/** labels.NewRequirement's value checks (the key is already checked by the parser). */
function newRequirement(key: string, operator: SelectorOperator, values: string[]): LabelRequirement {
  const errors: string[] = [];
  if ((operator === 'gt' || operator === 'lt') && !/^[+-]?\d+$/.test(values[0])) {
    errors.push(invalidFieldMessage('values[0]', values[0], ["for 'Gt', 'Lt' operators, the value must be an integer"]));
  }
  values.forEach((value, i) => {
    const valueErrors = labelValueErrors(value);
    if (valueErrors.length) errors.push(invalidFieldMessage(`values[${i}][${key}]`, value, valueErrors));
  });
  if (errors.length === 1) throw new Error(errors[0]);
  if (errors.length > 1) throw new Error(`[${errors.join(', ')}]`);
  return { key, operator, values };
}

/** Parses the string form; a syntax error is a 400 BadRequest carrying the apiserver's message. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  try {
    return new Parser(lex(selector)).parse();
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

export function requirementMatches(r: LabelRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels![r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(value!)) return false;
      const actual = BigInt(value!);
      const bound = BigInt(r.values[0]);
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

const matcherOf =
  (requirements: LabelRequirement[]): LabelMatcher =>
  (labels) =>
    requirements.every((r) => requirementMatches(r, labels));

/** Compiles the string form into a matcher; the empty string matches everything. */
export function labelSelectorMatcher(selector: string): LabelMatcher {
  return matcherOf(parseLabelSelector(selector));
}

const objectOperators: Record<string, SelectorOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: matchLabels become `=` requirements, and
 * the result is sorted by key. Undefined means "selects nothing" (a nil
 * selector); an unknown operator yields undefined too, as the Go function errors.
 */
export function labelSelectorRequirements(selector: LabelSelectorObject): LabelRequirement[] | undefined {
  const requirements: LabelRequirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({
    key,
    operator: '=',
    values: [value],
  }));
  for (const expr of selector.matchExpressions ?? []) {
    const operator = objectOperators[expr.operator];
    if (!operator) return undefined;
    requirements.push({ key: expr.key, operator, values: operator === 'in' || operator === 'notin' ? [...(expr.values ?? [])] : [] });
  }
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Matches the object form. A missing selector matches nothing and an empty
 * one matches everything, as LabelSelectorAsSelector decides; callers whose
 * API treats a missing selector as "everything" (webhooks) pass `{}`.
 */
export function matchLabelSelector(selector: LabelSelectorObject | undefined | null, labels: Labels): boolean {
  if (!selector) return false;
  return compiledSelector(selector)(labels);
}

/** Selectors of stored objects are frozen: each is compiled once and reused by every match. */
const compiledSelectors = new WeakMap<LabelSelectorObject, LabelMatcher>();
const matchesNothing: LabelMatcher = () => false;

function compiledSelector(selector: LabelSelectorObject): LabelMatcher {
  let matcher = compiledSelectors.get(selector);
  if (!matcher) {
    const requirements = labelSelectorRequirements(selector);
    matcher = requirements === undefined ? matchesNothing : matcherOf(requirements);
    if (Object.isFrozen(selector)) compiledSelectors.set(selector, matcher);
  }
  return matcher;
}

const operatorText: Record<SelectorOperator, string> = {
  in: ' in ',
  notin: ' notin ',
  '=': '=',
  '==': '==',
  '!=': '!=',
  exists: '',
  '!': '',
  gt: '>',
  lt: '<',
};

/** Requirement.String(): values of in/notin are sorted and parenthesised. */
export function requirementToString(r: LabelRequirement): string {
  const head = `${r.operator === '!' ? '!' : ''}${r.key}${operatorText[r.operator]}`;
  if (r.operator === 'exists' || r.operator === '!') return head;
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${head}(${values})` : `${head}${values}`;
}

/**
 * The selector's String() form, e.g. `app=web,tier in (a,b)`: what Scale's
 * status.selector carries. Empty for an empty or missing selector; undefined
 * if the selector is invalid.
 */
export function labelSelectorToString(selector: LabelSelectorObject | undefined | null): string | undefined {
  if (!selector) return '';
  return labelSelectorRequirements(selector)?.map(requirementToString).join(',');
}

/** metav1.FormatLabelSelector, as printers and describe show it: `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(selector: LabelSelectorObject | undefined | null): string {
  const text = labelSelectorToString(selector);
  if (text === undefined) return '<error>';
  return text === '' ? '<none>' : text;
}

/** labels.FormatLabels: `k=v` pairs sorted by key, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const text = Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${labels![k]}`)
    .join(',');
  return text === '' ? '<none>' : text;
}
