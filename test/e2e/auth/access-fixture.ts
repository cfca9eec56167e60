/**
 * The shared setup of the access-control e2e tests: an emulator with KubeVirt
 * installed, view, edit and admin ServiceAccounts bound (RoleBindings to the
 * ClusterRoles of the same names) in one namespace and nothing in another.
 */
import * as k8s from '@kubernetes/client-node';
import { withEmulator, type EmulatorFixture, type TeardownHost } from '../../helpers/cluster.js';

export const NS = 'team';
export const OTHER = 'elsewhere';
export const sa = (name: string, namespace = NS) => `system:serviceaccount:${namespace}:${name}`;
export const saGroups = (namespace = NS) => ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'];

const setup = `
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ${OTHER}}
${['view', 'edit', 'admin']
  .map(
    (role) => `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ${role}, namespace: ${NS}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${role}, namespace: ${NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role}}
subjects: [{kind: ServiceAccount, name: ${role}, namespace: ${NS}}]`,
  )
  .join('\n')}
`;

export type Role = 'view' | 'edit' | 'admin' | 'default';

export interface AccessFixture extends EmulatorFixture {
  kc: k8s.KubeConfig;
  /** A client-node KubeConfig acting as `user` (its kubeconfig user with `as:`). */
  impersonating(user: string): k8s.KubeConfig;
}

export async function accessFixture(t: TeardownHost): Promise<AccessFixture> {
  const fixture = await withEmulator(t, { installKubeVirt: true });
  const applied = await fixture.kubectl(['apply', '-f', '-'], { input: setup });
  if (applied.code !== 0) throw new Error(applied.stderr);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(fixture.kubeconfigPath);
  const impersonating = (user: string) => {
    const config = new k8s.KubeConfig();
    config.loadFromOptions({
      clusters: kc.clusters,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
      users: kc.users.map((u) => ({ ...u, impersonateUser: user })),
    });
    return config;
  };
  return { ...fixture, kc, impersonating };
}
