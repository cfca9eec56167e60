/** How token validation reads the objects a token names: straight from the store, as kube's getters read its caches. */
import type { TypeRegistry } from '../../api/type-registry.js';
import type { Store } from '../../storage/store.js';
import type { BoundResource, ObjectLookup } from './service-account-tokens.js';

const KINDS: Record<BoundResource, string> = { serviceaccounts: 'ServiceAccount', pods: 'Pod', secrets: 'Secret', nodes: 'Node' };

export function storeLookup(store: Store, types: TypeRegistry): ObjectLookup {
  const storageKeys = Object.fromEntries(Object.entries(KINDS).map(([resource, kind]) => [resource, types.byKind('v1', kind)!.storageKey]));
  return (resource, namespace, name) => store.get(storageKeys[resource]!, namespace, name);
}
