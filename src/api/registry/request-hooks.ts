/**
 * Observers of the generic registry's request path. Every request the
 * registry serves, from an HTTP client or an in-process component alike,
 * passes `admit` (which may throw a StatusError that becomes its answer),
 * writes also `delay` (which may hold them back; a GET is served
 * synchronously from the store and cannot wait), and then reports its
 * outcome to `completed` with the HTTP status code it answers. The emulator uses this for injected API faults and
 * for the apiserver's request metrics; the registry knows neither.
 */
import { StatusError } from '../errors.js';
import type { PatchType } from '../../client/client.js';

/** Kubernetes' (RBAC) verb of a request the registry serves. */
export type RequestVerb = 'get' | 'create' | 'update' | 'patch' | 'delete';

export interface ApiRequest {
  verb: RequestVerb;
  /** For a patch: which kind (server-side apply is `apply`). */
  patchType?: PatchType;
  group: string;
  version: string;
  /** The plural resource name, e.g. virtualmachineinstances. */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  dryRun: boolean;
}

export interface RequestHook {
  admit?(request: ApiRequest): void;
  delay?(request: ApiRequest): Promise<void>;
  completed?(request: ApiRequest, code: number): void;
}

const codeOf = (err: unknown): number => (err instanceof StatusError ? err.code : 500);

export class RequestHooks {
  private readonly hooks: RequestHook[] = [];

  add(hook: RequestHook): void {
    this.hooks.push(hook);
  }

  /** Serves `request` with `work`, between the hooks; `success` is the code of a successful answer. */
  async around<T>(request: ApiRequest, work: () => Promise<T>, success: (result: T) => number): Promise<T> {
    try {
      for (const hook of this.hooks) hook.admit?.(request);
      for (const hook of this.hooks) await hook.delay?.(request);
      const result = await work();
      this.completed(request, success(result));
      return result;
    } catch (err) {
      this.completed(request, codeOf(err));
      throw err;
    }
  }

  /** A synchronous request (a GET served from the store): only its outcome is reported. */
  served<T>(request: ApiRequest, work: () => T): T {
    try {
      for (const hook of this.hooks) hook.admit?.(request);
      const result = work();
      this.completed(request, 200);
      return result;
    } catch (err) {
      this.completed(request, codeOf(err));
      throw err;
    }
  }

  private completed(request: ApiRequest, code: number): void {
    for (const hook of this.hooks) hook.completed?.(request, code);
  }
}
