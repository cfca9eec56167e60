/**
 * Impersonation (kube-apiserver's WithImpersonation filter): the
 * Impersonate-User, -Group, -Uid and -Extra-<key> headers (kubectl --as,
 * --as-group, --as-uid) make a request act as another user, when the
 * requester may `impersonate` each of them: users, groups and uids by name,
 * a ServiceAccount's username as serviceaccounts in its namespace, and each
 * extra value as userextras/<key>. Denials answer kube's 403.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { internalError } from '../api/errors.js';
import type { Authorizer } from './authorization/authorizer.js';
import type { ResourceAttributes } from './authorization/attributes.js';
import type { UserInfo } from './user.js';

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
const EXTRA_PREFIX = 'impersonate-extra-';

const values = (header: string | string[] | undefined): string[] => (header === undefined ? [] : Array.isArray(header) ? header : [header]);

/** Whether the request carries any impersonation header. */
export function impersonates(headers: IncomingHttpHeaders): boolean {
  for (const key of Object.keys(headers)) if (key.startsWith('impersonate-')) return true;
  return false;
}

/** The user the request acts as: `requester` itself, or the impersonated user once every impersonation is authorized. */
export function impersonatedUser(requester: UserInfo, headers: IncomingHttpHeaders, authorizer: Authorizer): UserInfo {
  if (!impersonates(headers)) return requester;
  const username = values(headers['impersonate-user'])[0];
  const groups = values(headers['impersonate-group']);
  const uid = values(headers['impersonate-uid'])[0];
  const extra: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(EXTRA_PREFIX)) extra[decodeURIComponent(key.slice(EXTRA_PREFIX.length)).toLowerCase()] = values(value);
  }
  if (!username) {
    // kube prints the requests as Go's %v of []ObjectReference{Kind, Namespace, Name, UID, APIVersion, ResourceVersion, FieldPath}.
    const reference = (kind: string, name: string, fieldPath = '') => `{${kind}  ${name}    ${fieldPath}}`;
    const requested = [
      ...groups.map((g) => reference('Group', g)),
      ...Object.entries(extra).flatMap(([key, list]) => list.map((v) => reference('UserExtra', v, key))),
      ...(uid ? [reference('UID', uid)] : []),
    ];
    throw internalError(`requested [${requested.join(' ')}] without impersonating a user`);
  }

  const checks: ResourceAttributes[] = [];
  const serviceAccount = username.startsWith(SERVICE_ACCOUNT_PREFIX) ? username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':') : undefined;
  if (serviceAccount?.length === 2) {
    checks.push({ verb: 'impersonate', apiGroup: '', resource: 'serviceaccounts', namespace: serviceAccount[0], name: serviceAccount[1] });
  } else {
    checks.push({ verb: 'impersonate', apiGroup: '', resource: 'users', name: username });
  }
  for (const group of groups) checks.push({ verb: 'impersonate', apiGroup: '', resource: 'groups', name: group });
  if (uid) checks.push({ verb: 'impersonate', apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  for (const [key, list] of Object.entries(extra)) {
    for (const value of list) {
      checks.push({ verb: 'impersonate', apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: value });
    }
  }
  for (const attributes of checks) authorizer.check(requester, { kind: 'resource', ...attributes });

  const impersonatedGroups = [...groups];
  if (serviceAccount?.length === 2 && groups.length === 0) {
    impersonatedGroups.push('system:serviceaccounts', `system:serviceaccounts:${serviceAccount[0]}`);
  }
  if (username === 'system:anonymous') {
    if (!impersonatedGroups.includes('system:unauthenticated')) impersonatedGroups.push('system:unauthenticated');
  } else if (!impersonatedGroups.includes('system:authenticated') && !impersonatedGroups.includes('system:unauthenticated')) {
    impersonatedGroups.push('system:authenticated');
  }
  return { username, groups: impersonatedGroups, ...(uid ? { uid } : {}), ...(Object.keys(extra).length ? { extra } : {}) };
}
