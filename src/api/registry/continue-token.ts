/**
 * List continue tokens in kube-apiserver's encoding (storage.EncodeContinue):
 * unpadded base64url of {"v":"meta.k8s.io/v1","rv":<revision>,"start":<key>},
 * where the key is where the next page starts, relative to the list's prefix.
 * Decoding checks what kube checks and fails with its words.
 */
import { badRequest, type StatusError } from '../errors.js';

const tokenVersion = 'meta.k8s.io/v1';

export interface ContinueToken {
  /** Revision the list is read at; -1 means the newest (a token handed out with an expired answer). */
  revision: number;
  /** The key ("<namespace>/<name>" or "<name>") the next page starts from, inclusive. */
  startKey: string;
}

/** The token for the page after `lastKey`: kube starts at the key right after it (lastKey + "\0"). */
export function encodeContinue(lastKey: string, revision: number): string {
  return Buffer.from(JSON.stringify({ v: tokenVersion, rv: revision, start: `${lastKey}\u0000` })).toString('base64url');
}

const invalidToken = (why: string): StatusError => badRequest(`invalid continue token: ${why}`);
const notValid = 'continue key is not valid';

/** Go's base64.RawURLEncoding accepts only the URL alphabet, without padding, and no dangling sextet. */
function decodeBase64(token: string): Buffer {
  const bad = token.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0) throw invalidToken(`${notValid}: illegal base64 data at input byte ${bad}`);
  if (token.length % 4 === 1) throw invalidToken(`${notValid}: illegal base64 data at input byte ${token.length - 1}`);
  return Buffer.from(token, 'base64url');
}

const goJsonType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value;

/** encoding/json's wording for a field of the wrong type. */
function checkField(parsed: Record<string, unknown>, field: string, type: 'string' | 'number', goType: string): void {
  const value = parsed[field];
  if (value === undefined || value === null || typeof value === type) return;
  const why = `json: cannot unmarshal ${goJsonType(value)} into Go struct field continueToken.${field} of type ${goType}`;
  throw invalidToken(`${notValid}: ${why}`);
}

function parseJson(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const first = text.trimStart()[0];
    const why = first === undefined ? 'unexpected end of JSON input' : `invalid character '${first}' looking for beginning of value`;
    throw invalidToken(`${notValid}: ${why}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidToken(`${notValid}: json: cannot unmarshal ${goJsonType(parsed)} into Go value of type storage.continueToken`);
  }
  return parsed as Record<string, unknown>;
}

/** Checks a token as storage.DecodeContinue does; every failure is 400 "invalid continue token: continue key is not valid...". */
export function decodeContinue(token: string): ContinueToken {
  const parsed = parseJson(decodeBase64(token).toString('utf8'));
  checkField(parsed, 'v', 'string', 'string');
  checkField(parsed, 'rv', 'number', 'int64');
  checkField(parsed, 'start', 'string', 'string');
  if (parsed.v !== tokenVersion) throw invalidToken(`${notValid}: server does not recognize this encoded version ${parsed.v ?? ''}`);
  const revision = (parsed.rv as number | undefined) ?? 0;
  if (!Number.isInteger(revision)) {
    throw invalidToken(`${notValid}: json: cannot unmarshal number ${revision} into Go struct field continueToken.rv of type int64`);
  }
  if (revision === 0) throw invalidToken(`${notValid}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
  const start = (parsed.start as string | undefined) ?? '';
  if (start === '') throw invalidToken(`${notValid}: encoded start key empty (version meta.k8s.io/v1)`);
  // kube refuses keys that path.Clean would change, so a token cannot reach outside the list's prefix.
  if (!isCleanPath(start.startsWith('/') ? start : `/${start}`)) throw invalidToken(`${notValid}: ${start}`);
  return { revision, startKey: start.replace(/^\//, '') };
}

/** Whether Go's path.Clean leaves an absolute path as it is: no empty, "." or ".." segments, no trailing slash. */
function isCleanPath(path: string): boolean {
  if (path === '/') return true;
  return path
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
