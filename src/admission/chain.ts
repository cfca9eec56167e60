/**
 * The admission chain every write passes through, for HTTP and in-process
 * callers alike: mutating plugins first, then validating ones, as in
 * kube-apiserver. Plugins (schema checks, webhooks of emulated components)
 * register here; the registry knows only this interface.
 */
import type { KubeObject, ResourceType } from '../api/types.js';
import type { UserInfo } from '../auth/user.js';
import type { MaybePromise } from './maybe-async.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  type: ResourceType;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** The object being written (undefined for DELETE). */
  object?: KubeObject;
  oldObject?: KubeObject;
  dryRun: boolean;
  user: UserInfo;
  /** Collects `Warning` headers for the response. */
  warnings: string[];
}

/**
 * Whether a plugin acts on a request, asked before each call: what the request is (operation, resource, subresource,
 * namespace, user), never what its object holds, and cheap and synchronous. A plugin that says no is not called,
 * which spares the write an async call per plugin (an Event concerns none of them); absent means always.
 */
export type Handles = (attributes: AdmissionAttributes) => boolean;

export interface MutatingPlugin {
  name: string;
  handles?: Handles;
  /** Returns the (possibly) changed object, now or later; throws (or rejects with) a StatusError to reject. */
  mutate(attributes: AdmissionAttributes): MaybePromise<KubeObject | undefined>;
}

export interface ValidatingPlugin {
  name: string;
  handles?: Handles;
  /** Throws (or rejects with) a StatusError to reject. */
  validate(attributes: AdmissionAttributes): MaybePromise<void>;
}

export class AdmissionChain {
  private readonly mutating: MutatingPlugin[] = [];
  private readonly validating: ValidatingPlugin[] = [];

  addMutating(plugin: MutatingPlugin): void {
    this.mutating.push(plugin);
  }

  addValidating(plugin: ValidatingPlugin): void {
    this.validating.push(plugin);
  }

  /** The plugins in order; one that answers later is awaited, one that answers at once is not. */
  async mutate(attributes: AdmissionAttributes): Promise<KubeObject | undefined> {
    let object = attributes.object;
    for (const plugin of this.mutating) {
      if (plugin.handles?.(attributes) === false) continue;
      const mutated = plugin.mutate({ ...attributes, object });
      object = mutated instanceof Promise ? await mutated : mutated;
    }
    return object;
  }

  async validate(attributes: AdmissionAttributes): Promise<void> {
    for (const plugin of this.validating) {
      if (plugin.handles?.(attributes) === false) continue;
      const validated = plugin.validate(attributes);
      if (validated instanceof Promise) await validated;
    }
  }
}
