/**
 * The operator's view of the objects it manages: one informer per kind, all
 * selecting `app.kubernetes.io/managed-by in (virt-operator,kubevirt-operator)`,
 * as the real operator's informers do.
 */
import type { KubeObject } from '../../../api/types.js';
import type { KindRef } from '../../../client/client.js';
import type { Informer, SharedInformerFactory } from '../../../runtime/informer.js';
import { CRD_REF, MANAGED_KINDS, MANAGED_SELECTOR, POD_REF } from '../refs.js';

const refKey = (ref: KindRef): string => `${ref.apiVersion}/${ref.kind}`;

export class ManagedCache {
  private readonly informers = new Map<string, Informer>();

  constructor(factory: SharedInformerFactory) {
    for (const ref of [CRD_REF, POD_REF, ...MANAGED_KINDS])
      this.informers.set(refKey(ref), factory.informerFor(ref, { labelSelector: MANAGED_SELECTOR }));
  }

  all(): Informer[] {
    return [...this.informers.values()];
  }

  get(ref: KindRef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.informer(ref).getByName(namespace, name);
  }

  list(ref: KindRef): KubeObject[] {
    return this.informer(ref).list();
  }

  private informer(ref: KindRef): Informer {
    const informer = this.informers.get(refKey(ref));
    if (!informer) throw new Error(`virt-operator does not watch ${refKey(ref)}`);
    return informer;
  }
}
