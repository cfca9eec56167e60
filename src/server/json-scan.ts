/**
 * What Go's JSON decoder sees in a body's text that JSON.parse does not
 * report: nesting deeper than a limit (so nothing downstream recurses past
 * Node's stack), and keys repeated within one object,
 * which strict decoding (fieldValidation=Strict) reports as `duplicate field
 * "metadata.name"`. One iterative pass, no recursion.
 */

/**
 * encoding/json allows 10000 levels; the emulator's object code (pruning, patches, field sets, freezing) recurses
 * per level and would exhaust Node's stack before that, so bodies stop at 1000, far deeper than any API object.
 * The answer is worded as encoding/json's.
 */
export const MAX_JSON_DEPTH = 1000;

/** The scanner's SyntaxError text when a body nests deeper than the limit, if it does. */
export function jsonDepthError(text: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = endOfString(text, i);
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return `invalid character '${text[i]}' exceeded max depth`;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return undefined;
}

/** Index of the closing quote of the string opening at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return text.length;
}

interface Frame {
  path: string;
  /** Keys seen so far (objects only). */
  keys?: Set<string>;
  /** Next element index (arrays only). */
  index?: number;
}

/** Paths of repeated keys, in document order, spelled as sigs.k8s.io/json's strict errors spell them. Assumes valid JSON. */
export function duplicateJsonFields(text: string): string[] {
  const duplicates: string[] = [];
  const stack: Frame[] = [];
  let key: string | undefined;
  let expectKey = false;
  const childPath = (): string => {
    const parent = stack[stack.length - 1];
    if (!parent) return '';
    if (parent.keys) return parent.path ? `${parent.path}.${key}` : (key ?? '');
    return `${parent.path}[${parent.index}]`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = endOfString(text, i);
      if (expectKey) {
        key = JSON.parse(text.slice(i, end + 1)) as string;
        const frame = stack[stack.length - 1];
        if (frame.keys!.has(key)) duplicates.push(frame.path ? `${frame.path}.${key}` : key);
        frame.keys!.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      const path = childPath();
      stack.push(c === '{' ? { path, keys: new Set() } : { path, index: 0 });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const frame = stack[stack.length - 1];
      if (frame?.keys) expectKey = true;
      else if (frame) frame.index!++;
    }
  }
  return duplicates;
}
