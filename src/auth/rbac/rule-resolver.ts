/**
 * Which rules a user holds, from the Roles, ClusterRoles and bindings in the
 * store (kube's DefaultRuleResolver). Bindings are indexed by subject, so a
 * lookup touches only the bindings that name the user, one of its groups or
 * its ServiceAccount; the rules a user holds in a namespace are memoised until
 * any RBAC object changes.
 */
import type { Store } from '../../storage/store.js';
import type { UserInfo } from '../user.js';
import { RBAC_STORAGE, type BindingObject, type PolicyRule, type RoleObject, type Subject } from './types.js';

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** Index keys of the subjects a user matches: its name, each group, and its ServiceAccount (from the username). */
export function subjectKeysOf(user: UserInfo): string[] {
  const keys = [`User:${user.username}`, ...user.groups.map((g) => `Group:${g}`)];
  if (user.username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    const [namespace, name, ...rest] = user.username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
    if (namespace && name && rest.length === 0) keys.push(`ServiceAccount:${namespace}:${name}`);
  }
  return keys;
}

function subjectKey(subject: Subject, bindingNamespace: string | undefined): string | undefined {
  if (subject.kind === 'User' || subject.kind === 'Group') return `${subject.kind}:${subject.name}`;
  if (subject.kind === 'ServiceAccount') return `ServiceAccount:${subject.namespace || bindingNamespace || ''}:${subject.name}`;
  return undefined;
}

type BindingIndex = Map<string, BindingObject[]>;

export class RuleResolver {
  private clusterBindings: BindingIndex | undefined;
  private namespacedBindings = new Map<string, BindingIndex>();
  private readonly rulesCache = new Map<string, PolicyRule[]>();
  /** Bumped on every RBAC write: decisions memoised by callers carry it and are dropped when it moves. */
  generation = 0;

  constructor(private readonly store: Store) {
    for (const storageKey of new Set<string>(Object.values(RBAC_STORAGE))) {
      store.onWrite(storageKey, () => {
        this.generation++;
        this.clusterBindings = undefined;
        this.namespacedBindings = new Map();
        this.rulesCache.clear();
      });
    }
  }

  /** Every rule the user holds in `namespace` (cluster-wide rules included); `undefined` namespace: cluster-wide rules only. */
  rulesFor(user: UserInfo, namespace: string | undefined): PolicyRule[] {
    const cacheKey = `${user.username}\u0000${user.groups.join('\u0000')}\u0001${namespace ?? ''}`;
    let rules = this.rulesCache.get(cacheKey);
    if (!rules) {
      rules = this.resolve(subjectKeysOf(user), namespace);
      this.rulesCache.set(cacheKey, rules);
    }
    return rules;
  }

  /** The rules of a role a binding refers to (empty when it does not exist, as kube resolves a dangling roleRef). */
  rulesOfRole(kind: string, name: string, namespace: string | undefined): PolicyRule[] {
    const role =
      kind === 'ClusterRole'
        ? (this.store.get(RBAC_STORAGE.clusterRoles, '', name) as RoleObject | undefined)
        : (this.store.get(RBAC_STORAGE.roles, namespace ?? '', name) as RoleObject | undefined);
    return role?.rules ?? [];
  }

  private resolve(keys: string[], namespace: string | undefined): PolicyRule[] {
    const rules: PolicyRule[] = [];
    const clusterIndex = (this.clusterBindings ??= this.indexOf(this.store.list(RBAC_STORAGE.clusterRoleBindings) as BindingObject[]));
    for (const key of keys) {
      for (const binding of clusterIndex.get(key) ?? []) rules.push(...this.rulesOfRole('ClusterRole', binding.roleRef.name, undefined));
    }
    if (namespace) {
      let index = this.namespacedBindings.get(namespace);
      if (!index) {
        index = this.indexOf(this.store.list(RBAC_STORAGE.roleBindings, namespace) as BindingObject[]);
        this.namespacedBindings.set(namespace, index);
      }
      for (const key of keys) {
        for (const binding of index.get(key) ?? []) rules.push(...this.rulesOfRole(binding.roleRef.kind, binding.roleRef.name, namespace));
      }
    }
    return rules;
  }

  private indexOf(bindings: BindingObject[]): BindingIndex {
    const index: BindingIndex = new Map();
    for (const binding of bindings) {
      for (const subject of binding.subjects ?? []) {
        const key = subjectKey(subject, binding.metadata.namespace);
        if (!key) continue;
        const list = index.get(key);
        if (list) {
          if (!list.includes(binding)) list.push(binding);
        } else {
          index.set(key, [binding]);
        }
      }
    }
    return index;
  }
}
