/**
 * The apiextensions part of the apiserver: a CustomResourceDefinition written
 * to the store is served at once (its types join the type registry and the
 * OpenAPI documents, its status says NamesAccepted and Established), and a
 * deleted one first removes every object of its resource, as the
 * `customresourcecleanup` finalizer does in Kubernetes.
 */
import { rfc3339 } from '../runtime/clock.js';
import type { Clock } from '../runtime/clock.js';
import type { Store, StoreEvent } from '../storage/store.js';
import { crdResourceTypes } from './crd/resource-types.js';
import { crdSpec } from './crd/crd-types.js';
import type { TypeRegistry } from './type-registry.js';
import type { KubeObject } from './types.js';

export const crdStorageKey = 'apiextensions.k8s.io/customresourcedefinitions';
export const cleanupFinalizer = 'customresourcecleanup.apiextensions.k8s.io';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export class CrdServing {
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly types: TypeRegistry,
    private readonly clock: Clock,
    private readonly onServedChange: (established: KubeObject[]) => void,
  ) {}

  start(): void {
    for (const crd of this.store.list(crdStorageKey)) this.reconcile(crd);
    // Act after the write that triggered us has reached every subscriber, so events stay in order.
    this.stopListening = this.store.onWrite(crdStorageKey, (event) => queueMicrotask(() => this.handle(event)));
  }

  stop(): void {
    this.stopListening?.();
  }

  private handle(event: StoreEvent): void {
    if (event.type === 'DELETED') {
      this.types.setCustomTypes(event.object.metadata.name!, []);
      this.publish();
      return;
    }
    const current = this.store.get(crdStorageKey, '', event.object.metadata.name!);
    if (current) this.reconcile(current);
  }

  private reconcile(crd: KubeObject): void {
    const name = crd.metadata.name!;
    if (crd.metadata.deletionTimestamp) {
      this.cleanUp(crd);
      return;
    }
    this.types.setCustomTypes(name, crdResourceTypes(crd));
    const desired = this.withEstablishedStatus(crd);
    if (desired !== crd) this.store.put(crdStorageKey, desired);
    this.publish();
  }

  private withEstablishedStatus(crd: KubeObject): KubeObject {
    const spec = crdSpec(crd);
    const status = (crd.status ?? {}) as { conditions?: Condition[]; acceptedNames?: unknown; storedVersions?: string[] };
    const conditions = status.conditions ?? [];
    const finalizers = crd.metadata.finalizers ?? [];
    const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
    const storage = spec.versions.find((v) => v.storage)?.name;
    const storedVersions = status.storedVersions ?? [];
    const needsStorage = storage !== undefined && !storedVersions.includes(storage);
    if (
      established &&
      finalizers.includes(cleanupFinalizer) &&
      !needsStorage &&
      JSON.stringify(status.acceptedNames) === JSON.stringify(spec.names)
    )
      return crd;
    const now = rfc3339(this.clock.now());
    const keep = (type: string, fallback: Condition): Condition =>
      conditions.find((c) => c.type === type && c.status === fallback.status) ?? { ...fallback, lastTransitionTime: now };
    return {
      ...crd,
      metadata: { ...crd.metadata, finalizers: finalizers.includes(cleanupFinalizer) ? finalizers : [...finalizers, cleanupFinalizer] },
      status: {
        ...status,
        conditions: [
          keep('NamesAccepted', { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }),
          keep('Established', {
            type: 'Established',
            status: 'True',
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
          }),
        ],
        acceptedNames: spec.names,
        storedVersions: needsStorage ? [...storedVersions, storage] : storedVersions,
      },
    };
  }

  /** Deletes every object of the resource, then lets the CRD go. */
  private cleanUp(crd: KubeObject): void {
    const spec = crdSpec(crd);
    const storageKey = `${spec.group}/${spec.names.plural}`;
    for (const obj of this.store.list(storageKey)) this.store.remove(storageKey, obj.metadata.namespace ?? '', obj.metadata.name!);
    this.types.setCustomTypes(crd.metadata.name!, []);
    const finalizers = (crd.metadata.finalizers ?? []).filter((f) => f !== cleanupFinalizer);
    if (finalizers.length === 0) this.store.remove(crdStorageKey, '', crd.metadata.name!);
    else if (finalizers.length !== crd.metadata.finalizers?.length)
      this.store.put(crdStorageKey, { ...crd, metadata: { ...crd.metadata, finalizers } });
    this.publish();
  }

  private publish(): void {
    this.onServedChange(this.store.list(crdStorageKey).filter((c) => !c.metadata.deletionTimestamp));
  }
}
