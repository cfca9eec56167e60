/**
 * The string functions kube's CEL environment adds to the standard ones:
 * cel-go's strings extension (version 2: charAt, replace, quote, format, and
 * the index/substring overloads the base library already has) and kube's
 * regex library (find, findAll). Go's RE2 syntax is close enough to
 * JavaScript's for the patterns CRDs use; both reject backreferences' absence
 * differently, which a rule author rarely meets.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { registerNamespace } from './namespace.js';

const regexCache = new Map<string, RegExp>();

/** A compiled pattern, cached: rules run the same literal patterns on every request. */
export function compiledRegex(pattern: string): RegExp {
  let regex = regexCache.get(pattern);
  if (!regex) {
    try {
      regex = new RegExp(pattern, 'gu');
    } catch (e) {
      throw new Error(`error parsing regexp: ${(e as Error).message}`);
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, regex);
  }
  regex.lastIndex = 0;
  return regex;
}

function findAll(text: string, pattern: string, limit = -1n): string[] {
  if (limit === 0n) return [];
  const matches = [...text.matchAll(compiledRegex(pattern))].map((m) => m[0]);
  return limit < 0n ? matches : matches.slice(0, Number(limit));
}

function charAt(text: string, index: bigint): string {
  const chars = [...text];
  if (index < 0n || index > BigInt(chars.length)) throw new Error(`index out of range: ${index}`);
  return chars[Number(index)] ?? '';
}

function replace(text: string, from: string, to: string, limit = -1n): string {
  if (limit < 0n) return text.split(from).join(to);
  let out = text;
  let start = 0;
  for (let n = 0n; n < limit; n++) {
    const at = out.indexOf(from, start);
    if (at < 0) break;
    out = out.slice(0, at) + to + out.slice(at + from.length);
    start = at + to.length;
  }
  return out;
}

/** The `%s %d %f %e %x %X %o %b` verbs of the strings extension's format(). */
function format(template: string, args: unknown[]): string {
  let next = 0;
  return template.replace(/%(?:\.(\d+))?([sdfeExXob%])/g, (_, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) throw new Error(`index ${next} out of range`);
    const arg = args[next++];
    const digits = precision === undefined ? 6 : Number(precision);
    switch (verb) {
      case 's':
        return formatString(arg);
      case 'd':
        return String(arg);
      case 'f':
        return Number(arg).toFixed(digits);
      case 'e':
      case 'E':
        return Number(arg)
          .toExponential(digits)
          .replace(/e([+-])(\d)$/, 'e$10$2');
      case 'x':
      case 'X': {
        const hex = typeof arg === 'string' ? Buffer.from(arg).toString('hex') : BigInt(arg as bigint).toString(16);
        return verb === 'X' ? hex.toUpperCase() : hex;
      }
      case 'o':
        return BigInt(arg as bigint).toString(8);
      default:
        return BigInt(arg as bigint).toString(2);
    }
  });
}

function formatString(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatString).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${formatString(k)}:${formatString(v)}`).join(', ')}}`;
  if (value === null) return 'null';
  return String(value);
}

export function registerStringLibrary(env: Environment): void {
  const strings = registerNamespace(env, 'strings');
  env
    .registerFunction('string.charAt(int): string', charAt)
    .registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => replace(s, a, b))
    .registerFunction('string.replace(string, string, int): string', replace)
    .registerFunction('string.format(list): string', format)
    .registerFunction(`${strings}.quote(string): string`, (_: unknown, s: string) => JSON.stringify(s))
    .registerFunction('string.find(string): string', (s: string, p: string) => compiledRegex(p).exec(s)?.[0] ?? '')
    .registerFunction('string.findAll(string): list<string>', (s: string, p: string) => findAll(s, p))
    .registerFunction('string.findAll(string, int): list<string>', findAll);
}
