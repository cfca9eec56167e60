/**
 * Kubernetes 1.32's bootstrap RBAC policy, read as data from
 * schemas/kubernetes/rbac/ and written at start with kube's names, the label
 * kubernetes.io/bootstrapping=rbac-defaults and the annotation
 * rbac.authorization.kubernetes.io/autoupdate=true, as kube-apiserver's
 * rbac/bootstrap-roles post-start hook does (objects that exist are left as they are).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { yamlDocument } from '../../runtime/yaml-data.js';
import { RBAC_GROUP, type PolicyRule, type RoleObject, type Subject } from './types.js';

const dataDir = new URL('../../../schemas/kubernetes/rbac/', import.meta.url);
const readData = <T>(file: string): T => yamlDocument(readFileSync(fileURLToPath(new URL(file, dataDir)), 'utf8')) as T;

const apiVersion = `${RBAC_GROUP}/v1`;
const CONTROLLER_PREFIX = 'system:controller:';
/** kube's eventsRule(), which controller-roles.yaml abbreviates as `events`. */
const EVENTS_RULE: PolicyRule = { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] };

interface RoleEntry {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  aggregationRule?: RoleObject['aggregationRule'];
  rules: Array<PolicyRule | 'events'> | null;
}

interface BindingEntry {
  name: string;
  namespace?: string;
  role?: string;
  subjects: Subject[] | null;
}

const metadata = (name: string, namespace: string | undefined, labels: Record<string, string> = {}) => ({
  name,
  ...(namespace ? { namespace } : {}),
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
});

const withApiGroup = (subject: Subject): Subject => (subject.kind === 'ServiceAccount' ? subject : { apiGroup: RBAC_GROUP, ...subject });

function role(kind: 'ClusterRole' | 'Role', entry: RoleEntry): RoleObject {
  const rules = entry.rules === null ? null : entry.rules.map((r) => (r === 'events' ? EVENTS_RULE : r));
  return {
    apiVersion,
    kind,
    metadata: metadata(entry.name, entry.namespace, entry.labels),
    ...(entry.aggregationRule ? { aggregationRule: entry.aggregationRule } : {}),
    rules,
  } as RoleObject;
}

function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', entry: BindingEntry): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: metadata(entry.name, entry.namespace),
    roleRef: { apiGroup: RBAC_GROUP, kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole', name: entry.role ?? entry.name },
    ...(entry.subjects ? { subjects: entry.subjects.map(withApiGroup) } : {}),
  } as KubeObject;
}

let policy: KubeObject[] | undefined;

/** Every bootstrap object, ClusterRoles first, then bindings (each controller role bound to its kube-system ServiceAccount). */
export function bootstrapPolicy(): KubeObject[] {
  if (policy) return policy;
  const clusterRoles = [...readData<RoleEntry[]>('cluster-roles.yaml'), ...readData<RoleEntry[]>('controller-roles.yaml')];
  const controllerBindings: BindingEntry[] = readData<RoleEntry[]>('controller-roles.yaml').map((r) => ({
    name: r.name,
    subjects: [{ kind: 'ServiceAccount', name: r.name.slice(CONTROLLER_PREFIX.length), namespace: 'kube-system' }],
  }));
  policy = [
    ...clusterRoles.map((r) => role('ClusterRole', r)),
    ...readData<RoleEntry[]>('namespace-roles.yaml').map((r) => role('Role', r)),
    ...[...readData<BindingEntry[]>('cluster-role-bindings.yaml'), ...controllerBindings].map((b) => binding('ClusterRoleBinding', b)),
    ...readData<BindingEntry[]>('namespace-role-bindings.yaml').map((b) => binding('RoleBinding', b)),
  ];
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
