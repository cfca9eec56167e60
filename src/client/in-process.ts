/**
 * The Client for components living in the emulator's process: the same
 * registry path as HTTP requests (admission, defaulting, validation), under
 * the component's own identity. Results are frozen snapshots.
 */
import { Observable } from 'rxjs';
import { StatusError } from '../api/errors.js';
import { newContext } from '../api/registry/context.js';
import { listPage, prepareWatch } from '../api/registry/list-watch.js';
import type { GenericRegistry } from '../api/registry/registry.js';
import type { TypeRegistry } from '../api/type-registry.js';
import type { KubeList, KubeObject, ResourceType, WatchEvent } from '../api/types.js';
import type { UserInfo } from '../auth/user.js';
import type { Authorizer } from '../auth/authorization/authorizer.js';
import { nameFromFieldSelector } from '../auth/authorization/request-attributes.js';
import type { Store } from '../storage/store.js';
import type { Client, DeleteOptions, KindRef, ListOptions, PatchOptions, PatchType, WatchOptions, WriteOptions } from './client.js';
import type { Clock } from '../runtime/clock.js';
import { deliverSoon } from './deferred-delivery.js';

export class InProcessClient implements Client {
  constructor(
    private readonly parts: { store: Store; types: TypeRegistry; registry: GenericRegistry; clock: Clock; authorizer?: Authorizer },
    private readonly user: UserInfo,
    private readonly userAgent = 'kubevirt-emulator',
  ) {}

  /** The same client acting as another identity. */
  as(user: UserInfo, userAgent: string): InProcessClient {
    return new InProcessClient(this.parts, user, userAgent);
  }

  async get<T extends KubeObject>(ref: KindRef, namespace: string | undefined, name: string): Promise<T> {
    return this.parts.registry.get(this.authorized('get', ref, namespace, name), namespace, name) as T;
  }

  async list<T extends KubeObject>(ref: KindRef, options: ListOptions = {}): Promise<KubeList<T>> {
    const type = this.authorized('list', ref, options.namespace, undefined, undefined, options.fieldSelector);
    const page = listPage(this.parts.store, type, options);
    return {
      apiVersion: ref.apiVersion,
      kind: type.listKind,
      metadata: { resourceVersion: page.resourceVersion, continue: page.continue, remainingItemCount: page.remainingItemCount },
      items: page.items as T[],
    };
  }

  async create<T extends KubeObject>(obj: T, options: WriteOptions & { subresource?: string; name?: string } = {}): Promise<T> {
    const type = this.authorized(
      'create',
      obj,
      obj.metadata.namespace,
      options.subresource ? (options.name ?? obj.metadata.name) : undefined,
      options.subresource,
    );
    return (await this.parts.registry.create(type, obj.metadata.namespace, obj, this.context(options), options.subresource)) as T;
  }

  async update<T extends KubeObject>(obj: T, options: WriteOptions & { subresource?: string } = {}): Promise<T> {
    // A pods/binding write is a create in kube's API (POST of a Binding), and is authorized as one.
    const verb = options.subresource === 'binding' ? 'create' : 'update';
    const type = this.authorized(verb, obj, obj.metadata.namespace, obj.metadata.name, options.subresource);
    return (
      await this.parts.registry.update(type, obj.metadata.namespace, obj.metadata.name!, obj, this.context(options), options.subresource)
    ).object as T;
  }

  async patch<T extends KubeObject>(
    ref: KindRef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const result = await this.parts.registry.patch(
      this.authorized('patch', ref, namespace, name, options.subresource),
      namespace,
      name,
      type,
      patch,
      this.context(options),
      {
        subresource: options.subresource,
        force: options.force,
      },
    );
    return result.object as T;
  }

  async delete<T extends KubeObject>(ref: KindRef, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<T> {
    return (
      await this.parts.registry.delete(
        this.authorized('delete', ref, namespace, name),
        namespace,
        name,
        options,
        this.context({ dryRun: options.dryRun }),
      )
    ).object as T;
  }

  watch<T extends KubeObject>(ref: KindRef, options: WatchOptions = {}): Observable<WatchEvent<T>> {
    return new Observable<WatchEvent<T>>((subscriber) => {
      const type = this.authorized('watch', ref, options.namespace, undefined, undefined, options.fieldSelector);
      // A failure (410 Gone, a bad selector) thrown here reaches the subscriber as the watch's error.
      const prepared = prepareWatch(this.parts.store, type, options);
      // Replay and subscribe in one synchronous step, so no write falls between them; delivered after this call.
      for (const event of prepared.initial()) deliverSoon(subscriber, event as WatchEvent<T>);
      const unsubscribe = prepared.subscribe((event) => deliverSoon(subscriber, event as WatchEvent<T>));
      const timer = options.timeoutSeconds
        ? this.parts.clock.setTimeout(() => subscriber.complete(), options.timeoutSeconds * 1000)
        : undefined;
      return () => {
        unsubscribe();
        if (timer) this.parts.clock.clearTimeout(timer);
      };
    });
  }

  private typeOf(ref: KindRef): ResourceType {
    const type = this.parts.types.byKind(ref.apiVersion, ref.kind);
    if (!type) throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${ref.kind} ${ref.apiVersion})`);
    return type;
  }

  /** The request's type, once the authorizer allows this client's user the verb (the same decision an HTTP request gets). */
  private authorized(
    verb: string,
    ref: KindRef,
    namespace: string | undefined,
    name?: string,
    subresource?: string,
    fieldSelector?: string,
  ): ResourceType {
    const type = this.typeOf(ref);
    const authorizer = this.parts.authorizer;
    if (!authorizer) return type;
    const scope = type.namespaced ? namespace : type.plural === 'namespaces' ? name : undefined;
    authorizer.check(this.user, {
      kind: 'resource',
      verb,
      apiGroup: type.group,
      apiVersion: type.version,
      resource: type.plural,
      subresource,
      namespace: scope,
      // A list or watch of one object by name is authorized on that name, as kube's RequestInfoFactory does.
      name: name ?? nameFromFieldSelector(fieldSelector),
      fieldSelector,
    });
    return type;
  }

  private context(options: WriteOptions) {
    return newContext(this.user, {
      dryRun: !!options.dryRun,
      fieldManager: options.fieldManager,
      fieldValidation: options.fieldValidation ?? 'Ignore',
      userAgent: this.userAgent,
    });
  }
}
