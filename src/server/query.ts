/**
 * Query strings as Go's net/url reads them for kube-apiserver: pairs split on
 * '&', a pair with ';' or a bad %-escape dropped (url.ParseQuery's errors,
 * which URL.Query() ignores), '+' as a space, and of a repeated parameter the
 * first value (url.Values.Get), so `labelSelector=a&labelSelector=b` selects
 * by `a`.
 */

/** Go's QueryUnescape: undefined for a malformed escape; bytes that are not UTF-8 decode with replacement characters. */
export function goUnescape(text: string, plusIsSpace: boolean): string | undefined {
  if (!text.includes('%') && !(plusIsSpace && text.includes('+'))) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === '+' && plusIsSpace) {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** First value of every parameter, as a fresh prototype-free record. */
export function parseQueryFirstValues(query: string): Record<string, string> {
  const values: Record<string, string> = Object.create(null);
  for (const pair of query.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = goUnescape(eq < 0 ? pair : pair.slice(0, eq), true);
    const value = goUnescape(eq < 0 ? '' : pair.slice(eq + 1), true);
    if (key === undefined || value === undefined) continue;
    if (!(key in values)) values[key] = value;
  }
  return values;
}
