/**
 * `{{name}}` templating of scenario strings. A string that is exactly one
 * placeholder takes the variable's own type (so `replicas: "{{n}}"` can be a
 * number); otherwise the value is spliced into the text.
 */
import type { Scalar } from './types.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

function lookup(vars: Record<string, Scalar>, name: string): Scalar {
  if (!Object.hasOwn(vars, name)) throw new Error(`undefined variable "{{${name}}}" (defined: ${Object.keys(vars).join(', ') || 'none'})`);
  return vars[name];
}

/** Replaces every placeholder in strings, recursively through arrays and objects (keys included). */
export function renderTemplate<T>(value: T, vars: Record<string, Scalar>): T {
  return render(value, vars) as T;
}

function render(value: unknown, vars: Record<string, Scalar>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookup(vars, whole[1]);
    return value.replace(PLACEHOLDER, (_, name: string) => String(lookup(vars, name)));
  }
  if (Array.isArray(value)) return value.map((item) => render(item, vars));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [String(render(k, vars)), render(v, vars)]));
  }
  return value;
}
