/**
 * Static bearer tokens, as kube-apiserver's --token-auth-file: a CSV file
 * `token,user,uid,"group1,group2"` in the data directory. The emulator
 * writes it once with a random token for kubernetes-admin (system:masters);
 * users may add lines of their own (read at start).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { adminUser, SYSTEM_MASTERS, type UserInfo } from '../user.js';
import type { TokenAuthenticator } from './authenticator.js';
import { loadOrCreatePrivateFile } from './private-files.js';

export const TOKEN_FILE = 'tokens.csv';

export interface StaticTokens {
  /** The first token of kubernetes-admin in the file. */
  adminToken: string;
  authenticate: TokenAuthenticator;
}

/** Splits one CSV record, honouring double quotes ("" inside quotes is a quote), as Go's encoding/csv reads it. */
export function parseCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted && char === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (char === '"' && (quoted || field === '')) {
      quoted = !quoted;
    } else if (char === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else {
      field += char;
    }
  }
  fields.push(field);
  return fields;
}

/**
 * The users of a token file by token; lines with fewer than three columns
 * (kube refuses to start on them), an empty token or a repeated one are skipped.
 */
export function parseTokenFile(text: string): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const record = parseCsvRecord(line);
    const [token = '', username = '', uid = '', groups = ''] = record;
    if (record.length < 3 || token === '' || username === '' || users.has(token)) continue;
    users.set(token, { username, ...(uid ? { uid } : {}), groups: groups === '' ? [] : groups.split(',') });
  }
  return users;
}

const hasAdmin = (text: string): boolean => [...parseTokenFile(text).values()].some((user) => user.username === adminUser.username);

export async function loadOrCreateStaticTokens(dataDir: string, implicitAudiences: string[]): Promise<StaticTokens> {
  const text = await loadOrCreatePrivateFile(join(dataDir, TOKEN_FILE), hasAdmin, () => {
    const token = randomBytes(32).toString('base64url');
    return `${token},${adminUser.username},,"${SYSTEM_MASTERS}"\n`;
  });
  const users = parseTokenFile(text);
  const adminToken = [...users].find(([, user]) => user.username === adminUser.username)![0];
  return {
    adminToken,
    // Audience-agnostic, as kube wraps its token file: good for the API server's own audiences only.
    authenticate: async (token, audiences) => {
      const user = users.get(token);
      if (!user) return undefined;
      const accepted = audiences.filter((audience) => implicitAudiences.includes(audience));
      return accepted.length > 0 ? { user, audiences: accepted } : undefined;
    },
  };
}
