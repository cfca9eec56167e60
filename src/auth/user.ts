/** Who makes a request, as the authenticator resolved it (authentication.k8s.io UserInfo). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  /** Further attributes, e.g. `authentication.kubernetes.io/pod-name` of a pod-bound ServiceAccount token. */
  extra?: Record<string, string[]>;
}

/** Kubernetes' well-known groups (k8s.io/apiserver/pkg/authentication/user). */
export const SYSTEM_MASTERS = 'system:masters';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';

/** The identity of the admin kubeconfig's client certificate and token: a cluster admin, as kind's default user is. */
export const adminUser: UserInfo = { username: 'kubernetes-admin', groups: [SYSTEM_MASTERS, ALL_AUTHENTICATED] };

/** Whoever sends no credentials, while anonymous authentication is on (kube-apiserver's default). */
export const anonymousUser: UserInfo = { username: 'system:anonymous', groups: [ALL_UNAUTHENTICATED] };

/** A request's user with `system:authenticated` added, as kube-apiserver's authenticated-group adder does. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.username === anonymousUser.username || user.groups.includes(ALL_AUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}

/** `system:serviceaccount:<namespace>:<name>`, a ServiceAccount's username. */
export const serviceAccountUsername = (namespace: string, name: string): string => `system:serviceaccount:${namespace}:${name}`;

/** The groups every ServiceAccount is in (before `system:authenticated`). */
export const serviceAccountGroups = (namespace: string): string[] => ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];

/** The identity of an in-process component, as its service account would authenticate. */
export const serviceAccountUser = (namespace: string, name: string): UserInfo => ({
  username: serviceAccountUsername(namespace, name),
  groups: [...serviceAccountGroups(namespace), ALL_AUTHENTICATED],
});

/** Who a plain-HTTP request without credentials is: kube-apiserver's old insecure port served everyone as this superuser. */
export const unsecuredUser: UserInfo = { username: 'system:unsecured', groups: [SYSTEM_MASTERS, ALL_AUTHENTICATED] };
