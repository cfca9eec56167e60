/**
 * kube-apiserver's etcd key layout: <prefix>/<resource prefix>/<namespace>/<name>, or <prefix>/<resource prefix>/<name>
 * for cluster-scoped objects. The resource prefix of a resource served by kube-apiserver's own registries is its plural
 * without the group (the storage factory's default), apart from a few historical names; CRDs, custom resources and
 * the aggregator's APIServices are kept under <group>/<plural>, as apiextensions-apiserver and kube-aggregator do.
 */
import type { ObjectKey } from './backend.js';

/** Groups whose resources kube-apiserver itself stores (pkg/controlplane's storage providers). */
const KUBE_APISERVER_GROUPS = new Set([
  '',
  'admissionregistration.k8s.io',
  'apps',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
]);

/** The registries whose prefix is not their plural (pkg/registry/*: nodes, services, endpoints, RCs, ingresses). */
const HISTORICAL_PREFIXES = new Map([
  ['/nodes', 'minions'],
  ['/services', 'services/specs'],
  ['/endpoints', 'services/endpoints'],
  ['/replicationcontrollers', 'controllers'],
  ['networking.k8s.io/ingresses', 'ingress'],
]);

export class EtcdKeyLayout {
  private readonly resourcePrefixes = new Map<string, string>();
  private readonly storageKeys = new Map<string, string>();

  /** `builtinStorageKeys`: the emulator's storage keys ("<group>/<plural>") of the resources it serves itself. */
  constructor(
    readonly prefix: string,
    builtinStorageKeys: Iterable<string>,
  ) {
    for (const storageKey of builtinStorageKeys) this.learn(storageKey);
  }

  /** Every object's key starts with this (the prefix with one trailing slash). */
  get root(): string {
    return `${this.prefix.replace(/\/+$/, '')}/`;
  }

  keyOf(key: ObjectKey): string {
    const resource = this.learn(key.storageKey);
    return key.namespace ? `${this.root}${resource}/${key.namespace}/${key.name}` : `${this.root}${resource}/${key.name}`;
  }

  /** The object key of an etcd key under the root; undefined for keys this layout does not hold (another writer's). */
  objectKeyOf(etcdKey: string): ObjectKey | undefined {
    if (!etcdKey.startsWith(this.root)) return undefined;
    const parts = etcdKey.slice(this.root.length).split('/');
    // Known resource prefixes have one or two segments; anything else is a custom resource, "<group>/<plural>".
    for (const length of [2, 1]) {
      const storageKey = this.storageKeys.get(parts.slice(0, length).join('/'));
      if (storageKey) return tail(storageKey, parts.slice(length));
    }
    return parts.length >= 3 ? tail(`${parts[0]}/${parts[1]}`, parts.slice(2)) : undefined;
  }

  private learn(storageKey: string): string {
    let resource = this.resourcePrefixes.get(storageKey);
    if (resource === undefined) {
      const group = storageKey.slice(0, storageKey.indexOf('/'));
      resource =
        HISTORICAL_PREFIXES.get(storageKey) ?? (KUBE_APISERVER_GROUPS.has(group) ? storageKey.slice(group.length + 1) : storageKey);
      this.resourcePrefixes.set(storageKey, resource);
      this.storageKeys.set(resource, storageKey);
    }
    return resource;
  }
}

const tail = (storageKey: string, rest: string[]): ObjectKey | undefined => {
  if (rest.length === 1) return { storageKey, namespace: '', name: rest[0] };
  if (rest.length === 2) return { storageKey, namespace: rest[0], name: rest[1] };
  return undefined;
};
