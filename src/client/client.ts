/**
 * The one way components talk to Kubernetes. The in-process implementation
 * runs the same request path as HTTP (admission, validation, strategies); an
 * HTTP implementation can later point the same components at a real cluster.
 * Nothing here may assume synchronous visibility of a write in a watch or a
 * shared mutable object: returned objects are frozen snapshots.
 */
import type { Observable } from 'rxjs';
import type { KubeList, KubeObject, WatchEvent } from '../api/types.js';

/** Names a resource collection by the object's apiVersion and kind (e.g. "apps/v1", "Deployment"). */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  /** End the stream after this many seconds of (clock) time. */
  timeoutSeconds?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface PatchOptions extends WriteOptions {
  subresource?: string;
  force?: boolean;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface Client {
  get<T extends KubeObject = KubeObject>(ref: KindRef, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(ref: KindRef, options?: ListOptions): Promise<KubeList<T>>;
  create<T extends KubeObject = KubeObject>(obj: T, options?: WriteOptions & { subresource?: string; name?: string }): Promise<T>;
  /** PUT of the whole object; `subresource: "status"` writes only the status. */
  update<T extends KubeObject = KubeObject>(obj: T, options?: WriteOptions & { subresource?: string }): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    ref: KindRef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T>;
  delete<T extends KubeObject = KubeObject>(ref: KindRef, namespace: string | undefined, name: string, options?: DeleteOptions): Promise<T>;
  /** Watch events; the stream errors with a 410 StatusError when the resourceVersion is too old. */
  watch<T extends KubeObject = KubeObject>(ref: KindRef, options?: WatchOptions): Observable<WatchEvent<T>>;
}
