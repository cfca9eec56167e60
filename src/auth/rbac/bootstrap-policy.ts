/**
 * Kubernetes 1.32's bootstrap RBAC policy, read from kube's own testdata files
 * (schemas/kubernetes/rbac/, whose README says where they come from) and written
 * at start as kube-apiserver's rbac/bootstrap-roles post-start hook does: objects
 * that exist are left as they are.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { yamlDocument } from '../../runtime/yaml-data.js';
import type { PolicyRule, RoleObject } from './types.js';

const dataDir = new URL('../../../schemas/kubernetes/rbac/', import.meta.url);

/** The items of one testdata List, without the `creationTimestamp: null` kube's serializer writes there. */
function readList(file: string): KubeObject[] {
  const list = yamlDocument(readFileSync(fileURLToPath(new URL(file, dataDir)), 'utf8')) as { items: KubeObject[] };
  return list.items.map((item) => {
    const { creationTimestamp: _, ...metadata } = item.metadata as KubeObject['metadata'] & { creationTimestamp?: null };
    return { ...item, metadata };
  });
}

/** The files in creation order: roles before the bindings that name them. */
const FILES = [
  'cluster-roles.yaml',
  'controller-roles.yaml',
  'namespace-roles.yaml',
  'cluster-role-bindings.yaml',
  'controller-role-bindings.yaml',
  'namespace-role-bindings.yaml',
];

let policy: KubeObject[] | undefined;

/** Every bootstrap object, roles first, then bindings. */
export function bootstrapPolicy(): KubeObject[] {
  policy ??= FILES.flatMap(readList);
  return policy;
}

/** The rules of a bootstrap ClusterRole as the data defines them (the Node authorizer's static rules are system:node's). */
export function bootstrapClusterRoleRules(name: string): PolicyRule[] {
  const found = bootstrapPolicy().find((o) => o.kind === 'ClusterRole' && o.metadata.name === name) as RoleObject | undefined;
  return found?.rules ?? [];
}

/** Creates each bootstrap object that does not exist yet through `create` (the apiserver's own, privileged writer). */
export async function ensureBootstrapPolicy(create: (object: KubeObject) => Promise<unknown>): Promise<void> {
  for (const object of bootstrapPolicy()) {
    try {
      await create(object);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
    }
  }
}
