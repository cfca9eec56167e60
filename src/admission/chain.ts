/**
 * The admission chain every write passes through, for HTTP and in-process
 * callers alike: mutating plugins first, then validating ones, as in
 * kube-apiserver. Plugins (schema checks, webhooks of emulated components)
 * register here; the registry knows only this interface.
 */
import type { KubeObject, ResourceType } from '../api/types.js';
import type { UserInfo } from '../auth/user.js';

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

export interface MutatingPlugin {
  name: string;
  /** Returns the (possibly) changed object; throws a StatusError to reject. */
  mutate(attributes: AdmissionAttributes): Promise<KubeObject | undefined>;
}

export interface ValidatingPlugin {
  name: string;
  /** Throws a StatusError to reject. */
  validate(attributes: AdmissionAttributes): Promise<void>;
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

  async mutate(attributes: AdmissionAttributes): Promise<KubeObject | undefined> {
    let object = attributes.object;
    for (const plugin of this.mutating) object = await plugin.mutate({ ...attributes, object });
    return object;
  }

  async validate(attributes: AdmissionAttributes): Promise<void> {
    for (const plugin of this.validating) await plugin.validate(attributes);
  }
}
