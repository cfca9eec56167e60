/**
 * The generic registry: one implementation of create, update, patch, delete,
 * get, list and watch for every resource type, parameterised by a small
 * per-kind strategy (as kube-apiserver's generic registry is). HTTP handlers
 * and the in-process client both call it, so every writer meets the same
 * admission, defaulting, validation and concurrency rules.
 */
import type { AdmissionChain, Operation } from '../../admission/chain.js';
import type { Clock } from '../../runtime/clock.js';
import { rfc3339 } from '../../runtime/clock.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { OutdatedWrite, StorageError, type Store } from '../../storage/store.js';
import type { DeleteOptions, PatchType } from '../../client/client.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  FieldError,
  forbidden,
  internalError,
  invalid,
  notFound,
  serverTimeout,
  StatusError,
  type ErrorSubject,
} from '../errors.js';
import { applyPatch, applyConfiguration, updateManagedFields } from '../patch/index.js';
import type { SchemaCatalog, TypeSchema } from '../type-schema.js';
import { toServedVersion, toStorageVersion } from '../conversion/index.js';
import { apiVersionOf, type KubeObject, type ManagedFieldsEntry, type ObjectMeta, type ResourceType } from '../types.js';
import type { RequestContext } from './context.js';
import { RequestHooks, type ApiRequest, type RequestVerb } from './request-hooks.js';
import { deepEqual, dropNulls, keepUnchanged, without } from './object-diff.js';
import { generateName, generateUid } from './names.js';
import { decodeTypeError, patchedTypeError, typeMetaError } from '../validation/decode.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/objectmeta.js';
import { isFinalized, strategyOf, subresourceWrite, type RegistryStrategy } from './strategy.js';
import { invalidValue } from '../builtins/field-errors.js';

const RULES_NOT_CHECKED =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/** Schema errors after which CRD rules are not run (apiextensions' hasBlockingErr). */
const BLOCKING_SCHEMA_ERRORS = new Set<FieldError['reason']>([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);

/** How often an unconditional update is recomputed when other writes keep landing first. */
const MAX_UPDATE_ATTEMPTS = 10;

export interface WriteResult {
  object: KubeObject;
  /** True when the write created the object (201 instead of 200). */
  created: boolean;
}

export interface DeleteResult {
  object: KubeObject;
  /** False when the object only got a deletionTimestamp and waits for finalizers or grace. */
  removed: boolean;
}

export interface RegistryDeps {
  store: Store;
  schemas: SchemaCatalog;
  admission: AdmissionChain;
  clock: Clock;
  random: SeededRandom;
  /** Observers of every request served (injected faults, metrics). */
  hooks?: RequestHooks;
  /** How long an Event lives after its last write (kube-apiserver's --event-ttl); one hour unless given. */
  eventTtlMs?: number;
}

export const DEFAULT_EVENT_TTL_MS = 3_600_000;

const namespaceStorageKey = '/namespaces';
const namespaceType: ErrorSubject = { group: '', resource: 'namespaces' };

export class GenericRegistry {
  private readonly hooks: RequestHooks;
  /** The store write behind each object a write answers, while it may not be durable yet. */
  private readonly pendingWrites = new WeakMap<KubeObject, { type: ResourceType; stored: KubeObject }>();

  constructor(private readonly deps: RegistryDeps) {
    this.hooks = deps.hooks ?? new RequestHooks();
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return this.hooks.served(requestOf('get', type, namespace, name), () => this.getObject(type, namespace, name));
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, ctx: RequestContext, subresource?: string): Promise<KubeObject> {
    const request = requestOf('create', type, namespace, undefined, { subresource, dryRun: ctx.dryRun });
    return this.hooks.around(
      request,
      () => this.durably(() => this.createObject(type, namespace, body, ctx, subresource), type, 'create', nameIn(body)),
      () => 201,
    );
  }

  /** PUT of a whole object, or of a subresource such as status. */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    ctx: RequestContext,
    subresource?: string,
  ): Promise<WriteResult> {
    // A subresource that serves only create (pods/binding) is written by a POST: kube's RequestInfo (so RBAC and
    // apiserver_request_total) calls it a create, and it answers 201.
    const verbs = subresource === undefined ? undefined : type.subresources.find((s) => s.name === subresource)?.verbs;
    const creates = verbs?.length === 1 && verbs[0] === 'create';
    const verb = creates ? 'create' : 'update';
    const request = requestOf(verb, type, namespace, name, { subresource, dryRun: ctx.dryRun });
    return this.hooks.around(
      request,
      () => this.durably(() => this.updateObject(type, namespace, name, body, ctx, subresource), type, verb, name),
      () => (creates ? 201 : 200),
    );
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patchBody: unknown,
    ctx: RequestContext,
    options: { subresource?: string; force?: boolean } = {},
  ): Promise<WriteResult> {
    const request = requestOf('patch', type, namespace, name, { subresource: options.subresource, dryRun: ctx.dryRun, patchType });
    return this.hooks.around(
      request,
      () => this.durably(() => this.patchObject(type, namespace, name, patchType, patchBody, ctx, options), type, 'update', name),
      (result) => (result.created ? 201 : 200),
    );
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<DeleteResult> {
    const request = requestOf('delete', type, namespace, name, { dryRun: ctx.dryRun || options.dryRun === true });
    return this.hooks.around(
      request,
      () => this.durably(() => this.deleteObject(type, namespace, name, options, ctx), type, 'delete', name),
      () => 200,
    );
  }

  /**
   * A write is acknowledged only once the store made it durable (its batch committed), with the resourceVersion the
   * storage gave it; a write the backend failed is undone and answers as kube-apiserver's storage errors
   * (k8s.io/apiserver/pkg/storage/errors). Only the request's own write counts: another one failing in the same batch
   * is that request's error. A write undone because another API server wrote the object in etcd first is made again
   * once this one has caught up (its preconditions are checked again then), as kube-apiserver's GuaranteedUpdate retries
   * a failed etcd transaction on the object it then reads.
   */
  private async durably<T extends KubeObject | WriteResult | DeleteResult>(
    write: () => Promise<T>,
    type: ResourceType,
    operation: string,
    name: string,
  ): Promise<T> {
    const { store } = this.deps;
    // In memory every write is final at once: the promise as it is, so its timing is the same as without a backend.
    if (!store.persistent) return write();
    let conflicts = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.whenWritten(await write());
      } catch (error) {
        if (!(error instanceof StorageError)) throw error;
        const retried = error.reason === 'conflict' || error.reason === 'aborted';
        if (error.reason === 'conflict') conflicts++;
        if (retried && conflicts < MAX_STORAGE_CONFLICT_ATTEMPTS && attempt < MAX_STORAGE_ATTEMPTS) {
          await store.caughtUp();
          continue;
        }
        if (retried) throw conflict(subject(type, name));
        // InterpretCreateError and friends: an unreachable etcd is a ServerTimeout, retry after 2 s.
        if (error.reason === 'unreachable') throw serverTimeout(subject(type, name), operation, 2);
        throw internalError(error.message);
      }
    }
  }

  /** The write's answer once its store write is durable, with the object as finally stored. */
  private async whenWritten<T extends KubeObject | WriteResult | DeleteResult>(result: T): Promise<T> {
    const answered = 'metadata' in result ? (result as KubeObject) : (result as WriteResult | DeleteResult).object;
    const pending = this.pendingWrites.get(answered);
    if (!pending) return result;
    const stored = await this.deps.store.written(pending.stored);
    if (stored === pending.stored) return result;
    const object = toServedVersion(pending.type, stored);
    return 'metadata' in result ? (object as T) : { ...result, object };
  }

  private getObject(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const stored = this.deps.store.get(type.storageKey, scopeOf(type, namespace), name);
    if (!stored) throw notFound(subject(type, name));
    return toServedVersion(type, stored);
  }

  /** All objects of the type, in key order, converted to the type's version. */
  listAll(type: ResourceType, namespace: string | undefined): KubeObject[] {
    const items = this.deps.store.list(type.storageKey, type.namespaced ? namespace : undefined);
    return items.map((o) => toServedVersion(type, o));
  }

  private async createObject(
    type: ResourceType,
    namespace: string | undefined,
    body: unknown,
    ctx: RequestContext,
    subresource?: string,
  ): Promise<KubeObject> {
    const incoming = this.decodeBody(type, namespace, body);
    const strategy = strategyOf(type);
    const meta = { ...incoming.metadata };
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName, this.deps.random);
    if (!meta.name) {
      throw invalid(type.kind, type.group, '', [
        new FieldError('FieldValueRequired', 'metadata.name', 'Required value: name or generateName is required'),
      ]);
    }
    if (type.namespaced) this.requireActiveNamespace(meta.namespace!, meta.name);

    meta.uid = generateUid(this.deps.random);
    meta.creationTimestamp = rfc3339(this.deps.clock.now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (strategy.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    let object: KubeObject = { ...incoming, metadata: meta };
    if (strategy.statusFields.length && !subresource && !strategy.keepsStatusOnCreate)
      object = without(object, strategy.statusFields) as KubeObject;
    object = strategy.prepareForCreate(object);

    object = await this.admitAndValidate('CREATE', type, object, undefined, ctx, strategy);
    object = this.withManagedFields(type, undefined, object, ctx, 'Update');
    // Storage refuses a duplicate only after mutating and validating admission ran (store.go Create, after
    // BeforeCreate and createValidation), so an invalid duplicate gets the webhook's or validation's answer first.
    // The etcd3 store refuses only a resourceVersion that parses as a non-zero uint64 (APIObjectVersioner's
    // ObjectResourceVersion); anything else is cleared like a missing one (PrepareObjectForStorage).
    if (setsResourceVersion(incoming.metadata.resourceVersion))
      throw internalError('resourceVersion should not be set on objects to be created');
    if (this.deps.store.get(type.storageKey, scopeOf(type, meta.namespace), meta.name)) throw alreadyExists(subject(type, meta.name));
    if (ctx.dryRun)
      return toServedVersion(type, toStorageVersion(type, { ...object, metadata: { ...object.metadata, resourceVersion: undefined } }));
    return this.put(type, object);
  }

  private async updateObject(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    ctx: RequestContext,
    subresource?: string,
  ): Promise<WriteResult> {
    const incoming = this.decodeBody(type, namespace, body);
    if (incoming.metadata.name && incoming.metadata.name !== name) {
      throw badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    }
    const expected = incoming.metadata.resourceVersion;
    return this.guaranteedUpdate(type, name, !expected, () => {
      const current = this.deps.store.get(type.storageKey, scopeOf(type, namespace), name);
      if (!current) throw notFound(subject(type, name));
      if (expected && expected !== current.metadata.resourceVersion) throw conflict(subject(type, name));
      return this.replace(type, current, { ...incoming, metadata: { ...incoming.metadata, name } }, ctx, subresource, 'Update');
    });
  }

  private async patchObject(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patchBody: unknown,
    ctx: RequestContext,
    options: { subresource?: string; force?: boolean } = {},
  ): Promise<WriteResult> {
    const schema = this.deps.schemas.schemaFor(type);
    const read = () => this.deps.store.get(type.storageKey, scopeOf(type, namespace), name);
    // A patch is a precondition only when its body names a resourceVersion; otherwise it applies to whatever is newest.
    const preconditioned = patchNamesResourceVersion(patchBody);
    if (patchType === 'apply') {
      // An apply is a GuaranteedUpdate too (patch.go): merged again into the newer object when another write landed first.
      return this.guaranteedUpdate(
        type,
        name,
        () => !preconditioned,
        () => this.serverSideApply(type, namespace, name, read(), patchBody, ctx, schema, options),
      );
    }
    if (!read()) throw notFound(subject(type, name));
    if (patchType === 'strategic' && type.custom) {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    return this.guaranteedUpdate(
      type,
      name,
      () => !preconditioned,
      () => {
        const latest = read();
        if (!latest) throw notFound(subject(type, name));
        const current = toServedVersion(type, latest);
        const patched = applyPatch(patchType, current, patchBody, schema.node) as KubeObject;
        if (!isObject(patched)) throw badRequest('the patch did not produce an object');
        const typeError = patchedTypeError(type, patched);
        if (typeError) throw typeError;
        const expected = (patched.metadata as ObjectMeta | undefined)?.resourceVersion;
        if (expected && expected !== current.metadata.resourceVersion) throw conflict(subject(type, name));
        return this.replace(type, latest, patched, ctx, options.subresource, 'Update');
      },
    );
  }

  /**
   * Runs an update against the latest stored object until its write lands on
   * the version it was computed from, as the apiserver's GuaranteedUpdate
   * does over etcd: admission is asynchronous, so another write may land in
   * between. A request that named a resourceVersion gets the Conflict; one
   * that did not (a plain PUT or patch) is computed again on the newer object.
   */
  private async guaranteedUpdate<T extends WriteResult | DeleteResult>(
    type: ResourceType,
    name: string,
    retryOnRace: boolean | (() => boolean),
    attempt: () => Promise<T>,
  ): Promise<T> {
    const mayRetry = typeof retryOnRace === 'function' ? retryOnRace : () => retryOnRace;
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof OutdatedWrite)) throw err;
        if (!mayRetry() || tries >= MAX_UPDATE_ATTEMPTS) throw conflict(subject(type, name));
      }
    }
  }

  /**
   * A delete, made again on the newer object when another write lands while it is in admission, as kube-apiserver's
   * store retries a delete (and the deletionTimestamp or finalizer update) whose etcd transaction found the object
   * changed, its preconditions and validation checked again each time.
   */
  private deleteObject(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<DeleteResult> {
    return this.guaranteedUpdate(type, name, true, () => this.deleteAttempt(type, namespace, name, options, ctx));
  }

  private async deleteAttempt(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<DeleteResult> {
    const stored = this.deps.store.get(type.storageKey, scopeOf(type, namespace), name);
    if (!stored) throw notFound(subject(type, name));
    const current = toServedVersion(type, stored);
    const pre = options.preconditions;
    // A precondition names a value whenever the field is present, even empty (Go's *string).
    if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
      throw conflict(
        subject(type, name),
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        subject(type, name),
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    const strategy = strategyOf(type);
    await this.deps.admission.validate({
      operation: 'DELETE',
      type,
      namespace,
      name,
      oldObject: current,
      dryRun: ctx.dryRun,
      user: ctx.user,
      warnings: ctx.warnings,
    });

    const finalizers = [...(current.metadata.finalizers ?? [])];
    const policy = options.propagationPolicy ?? 'Background';
    const addFinalizer = (f: string) => {
      if (!finalizers.includes(f)) finalizers.push(f);
    };
    if (policy === 'Foreground') addFinalizer('foregroundDeletion');
    if (policy === 'Orphan') addFinalizer('orphan');
    const graceSeconds = strategy.gracefulDeletionSeconds?.(current, options.gracePeriodSeconds);
    const graceful = graceSeconds !== undefined && graceSeconds > 0;

    const blocking = strategy.blockingFinalizers?.(current) ?? [];
    if (finalizers.length === 0 && blocking.length === 0 && !graceful) {
      if (ctx.dryRun) return { object: current, removed: true };
      return { object: this.remove(type, scopeOf(type, namespace), name, stored), removed: true };
    }
    // Already terminating: a second delete only shortens the grace period, as in Kubernetes.
    const meta: ObjectMeta = { ...current.metadata, finalizers: finalizers.length ? finalizers : undefined };
    const now = this.deps.clock.now();
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = rfc3339(new Date(now.getTime() + (graceful ? graceSeconds * 1000 : 0)));
      meta.deletionGracePeriodSeconds = graceful ? graceSeconds : 0;
    } else if (graceSeconds !== undefined && graceSeconds < (meta.deletionGracePeriodSeconds ?? 0)) {
      meta.deletionTimestamp = rfc3339(new Date(now.getTime() + graceSeconds * 1000));
      meta.deletionGracePeriodSeconds = graceSeconds;
    }
    let object: KubeObject = { ...current, metadata: dropUndefined(meta) };
    object = strategy.prepareForDelete?.(object) ?? object;
    if (ctx.dryRun || deepEqual(object, current)) return { object, removed: false };
    return { object: this.put(type, object, stored), removed: false };
  }

  // --- internals -----------------------------------------------------------------------------

  /**
   * Writes to the store and answers the object in the type's version; a kind whose strategy says so lives for the
   * event TTL after each write, as Events do in kube.
   */
  private put(type: ResourceType, object: KubeObject, basis?: KubeObject): KubeObject {
    const ttlMs = strategyOf(type).expiresAfterEventTtl ? (this.deps.eventTtlMs ?? DEFAULT_EVENT_TTL_MS) : undefined;
    return this.served(type, this.deps.store.put(type.storageKey, toStorageVersion(type, object), { ttlMs, basis }));
  }

  /** Removes the object from the store; answers its last state in the type's version. */
  private remove(type: ResourceType, namespace: string, name: string, basis?: KubeObject): KubeObject {
    return this.served(type, this.deps.store.remove(type.storageKey, namespace, name, basis)!);
  }

  /** The object as served; with a backend, remembers the stored write behind it, for durably() to await. */
  private served(type: ResourceType, stored: KubeObject): KubeObject {
    const served = toServedVersion(type, stored);
    if (this.deps.store.persistent) this.pendingWrites.set(served, { type, stored });
    return served;
  }

  /** Writes `incoming` over `stored` (as read from the store), unless another version was stored since (OutdatedWrite). */
  private async replace(
    type: ResourceType,
    stored: KubeObject,
    incoming: KubeObject,
    ctx: RequestContext,
    subresource: string | undefined,
    operation: 'Update' | 'Apply',
    appliedManagedFields?: ManagedFieldsEntry[],
  ): Promise<WriteResult> {
    const strategy = strategyOf(type);
    const current = toServedVersion(type, stored);
    const name = current.metadata.name!;
    if (incoming.metadata.uid && incoming.metadata.uid !== current.metadata.uid) {
      throw conflict(
        subject(type, name),
        `Precondition failed: UID in precondition: ${incoming.metadata.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    let object: KubeObject;
    if (subresource) {
      object = subresourceWrite(strategy, subresource, incoming, current);
    } else {
      object = { ...incoming, metadata: preserveSystemMeta(current.metadata, incoming.metadata) };
      for (const f of strategy.statusFields) {
        if (current[f] === undefined) delete object[f];
        else object[f] = current[f];
      }
      object = strategy.prepareForUpdate?.(object, current) ?? object;
    }
    object = await this.admitAndValidate('UPDATE', type, object, current, ctx, strategy, subresource);
    if (
      strategy.tracksGeneration &&
      !deepEqual(without(object, ['metadata', ...strategy.statusFields]), without(current, ['metadata', ...strategy.statusFields]))
    ) {
      object = { ...object, metadata: { ...object.metadata, generation: (current.metadata.generation ?? 0) + 1 } };
    }
    object = appliedManagedFields
      ? { ...object, metadata: { ...object.metadata, managedFields: appliedManagedFields } }
      : this.withManagedFields(type, current, object, ctx, operation, subresource);

    // A write that changes nothing is no write: no new resourceVersion, no watch event.
    const unchanged = deepEqual(
      { ...object, metadata: { ...object.metadata, resourceVersion: undefined, managedFields: undefined } },
      { ...current, metadata: { ...current.metadata, resourceVersion: undefined, managedFields: undefined } },
    );
    if (unchanged) return { object: current, created: false };
    if (ctx.dryRun) return { object, created: false };
    // Compare-and-swap (in the store): the object must still be the version this write was computed from.
    if (isFinalized(strategy, object)) {
      return { object: this.remove(type, scopeOf(type, current.metadata.namespace), name, stored), created: false };
    }
    return { object: this.put(type, object, stored), created: false };
  }

  private async serverSideApply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    stored: KubeObject | undefined,
    patchBody: unknown,
    ctx: RequestContext,
    schema: TypeSchema,
    options: { subresource?: string; force?: boolean },
  ): Promise<WriteResult> {
    if (!ctx.fieldManager)
      throw badRequest('PATCH requests with apply content type must set field manager: fieldManager is required for apply requests');
    const applied = this.decodeBody(type, namespace, patchBody);
    if (applied.metadata.name && applied.metadata.name !== name) {
      throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    }
    const now = rfc3339(this.deps.clock.now());
    const apiVersion = apiVersionOf(type.group, type.version);
    if (!stored) {
      const created = await this.createObject(
        type,
        namespace,
        { ...applied, metadata: { ...applied.metadata, name } },
        { ...ctx, fieldManager: undefined },
        options.subresource,
      );
      const result = applyConfiguration({
        live: undefined,
        applied,
        manager: ctx.fieldManager,
        force: true,
        schema: schema.node,
        now,
        apiVersion,
        managedFields: [],
      });
      if (ctx.dryRun) return { object: created, created: true };
      const withFields = this.put(type, { ...created, metadata: { ...created.metadata, managedFields: result.managedFields } });
      return { object: withFields, created: true };
    }
    const current = toServedVersion(type, stored);
    // Status goes only through the status subresource; a merged object is defaulted before it is compared
    // with the live one, so a field left to its default (a fieldRef's apiVersion) is no conflicting change.
    const strategy = strategyOf(type);
    const result = applyConfiguration({
      live: current,
      applied: options.subresource ? applied : without(applied, strategy.statusFields),
      normalize: (merged) => {
        const object = merged as unknown as KubeObject;
        return schema.applyDefaults(strategy.prepareForUpdate?.(object, current) ?? object) as unknown as typeof merged;
      },
      manager: ctx.fieldManager,
      force: options.force ?? false,
      schema: schema.node,
      now,
      apiVersion,
      managedFields: current.metadata.managedFields ?? [],
      subresource: options.subresource,
    });
    // A resourceVersion in the applied configuration is merged into the object, so it is a precondition as for any
    // update: store.go's Update compares it with the stored one once the apply has merged (field conflicts come first).
    const expected = applied.metadata.resourceVersion;
    if (expected && expected !== current.metadata.resourceVersion) throw conflict(subject(type, name));
    return this.replace(type, stored, result.object as KubeObject, ctx, options.subresource, 'Apply', result.managedFields);
  }

  /**
   * Admission for a subresource POST that stores nothing of its own (pods/eviction):
   * mutating then validating plugins on a CREATE of `<resource>/<subresource>`,
   * as the REST handler's createValidation does. Returns the admitted object.
   */
  async admitSubresourceCreate(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource: string,
    object: KubeObject,
    ctx: RequestContext,
  ): Promise<KubeObject> {
    const attributes = {
      operation: 'CREATE' as const,
      type,
      subresource,
      namespace,
      name,
      dryRun: ctx.dryRun,
      user: ctx.user,
      warnings: ctx.warnings,
    };
    const admitted = (await this.deps.admission.mutate({ ...attributes, object })) ?? object;
    await this.deps.admission.validate({ ...attributes, object: admitted });
    return admitted;
  }

  /** Mutating admission, schema defaulting and pruning, strategy and schema validation, validating admission. */
  private async admitAndValidate(
    operation: Operation,
    type: ResourceType,
    object: KubeObject,
    old: KubeObject | undefined,
    ctx: RequestContext,
    strategy: RegistryStrategy,
    subresource?: string,
  ): Promise<KubeObject> {
    const schema = this.deps.schemas.schemaFor(type);
    const name = object.metadata.name ?? '';
    const attributes = {
      operation,
      type,
      subresource,
      namespace: object.metadata.namespace,
      name,
      oldObject: old,
      dryRun: ctx.dryRun,
      user: ctx.user,
      warnings: ctx.warnings,
    };
    object = (await this.deps.admission.mutate({ ...attributes, object })) ?? object;
    if (old) object = keepUnchanged(object, old);
    const pruned = schema.prune(schema.applyDefaults(object));
    this.reportUnknownFields(type, name, pruned.unknownFields, ctx);
    object = pruned.object;
    const trustedSubresource = subresource !== undefined && strategy.subresources?.[subresource] !== undefined;
    const errors = [
      ...validateObjectMeta(object.metadata, { namespaced: type.namespaced, nameRule: strategy.nameRule }),
      ...(old ? validateObjectMetaUpdate(object.metadata, old.metadata) : []),
      ...(trustedSubresource ? [] : strategy.validate(object, old)),
      ...schema.validate(object),
    ];
    errors.push(...this.validationRuleErrors(schema, object, old, errors, ctx));
    if (errors.length) throw invalid(type.kind, type.group, name, errors);
    await this.deps.admission.validate({ ...attributes, object });
    return object;
  }

  /**
   * A CRD's CEL rules, which apiextensions runs only when schema validation
   * left the object in the shape the rules were written for.
   */
  private validationRuleErrors(
    schema: TypeSchema,
    object: KubeObject,
    old: KubeObject | undefined,
    schemaErrors: FieldError[],
    ctx: RequestContext,
  ): FieldError[] {
    if (!schema.validateRules) return [];
    if (schemaErrors.some((e) => BLOCKING_SCHEMA_ERRORS.has(e.reason)))
      // field.Invalid(nil, nil, ...): Go prints the nil path as <nil> and the nil value as "null".
      return [invalidValue('<nil>', 'null', RULES_NOT_CHECKED)];
    const { errors, warnings } = schema.validateRules(object, old);
    ctx.warnings.push(...warnings);
    return errors;
  }

  /** Strict decoding's findings, duplicate fields first: a 400 for Strict, warnings for Warn. */
  private reportUnknownFields(type: ResourceType, _name: string, unknownFields: string[], ctx: RequestContext): void {
    const duplicates = ctx.duplicateFields ?? [];
    if ((unknownFields.length === 0 && duplicates.length === 0) || ctx.fieldValidation === 'Ignore') return;
    const findings = [
      ...duplicates.map((f) => ({ field: f, message: `duplicate field "${f}"` })),
      ...unknownFields.map((f) => ({ field: f, message: `unknown field "${f}"` })),
    ];
    const messages = findings.map((f) => f.message);
    if (ctx.fieldValidation === 'Warn') {
      ctx.warnings.push(...messages);
      return;
    }
    const decoding = `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}`;
    const message = `${decoding}: strict decoding error: ${messages.join(', ')}`;
    throw new StatusError(400, 'BadRequest', message, {
      causes: findings.map((f) => ({ reason: 'FieldValueInvalid', message: f.message, field: f.field })),
    });
  }

  private withManagedFields(
    type: ResourceType,
    before: KubeObject | undefined,
    after: KubeObject,
    ctx: RequestContext,
    operation: 'Update' | 'Apply',
    subresource?: string,
  ): KubeObject {
    const manager = ctx.fieldManager ?? userAgentManager(ctx);
    const managedFields = updateManagedFields({
      before,
      after,
      manager,
      operation,
      subresource,
      schema: this.deps.schemas.schemaFor(type).node,
      now: rfc3339(this.deps.clock.now()),
      apiVersion: apiVersionOf(type.group, type.version),
      managedFields: before?.metadata.managedFields ?? after.metadata.managedFields ?? [],
    });
    return { ...after, metadata: { ...after.metadata, managedFields: managedFields.length ? managedFields : undefined } };
  }

  /** Checks the body's identity against the URL and normalises it. */
  private decodeBody(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    if (!isObject(body)) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)?.slice(0, 200)}'`);
    // Built-in kinds decode a null as Go's zero value; a custom resource keeps its nulls for the CRD's schema to judge
    // (pruning keeps the nullable ones), its type and object meta aside.
    const obj = (type.custom ? withoutMetaNulls(body) : dropNulls(body)) as Partial<KubeObject>;
    const typeError = typeMetaError(type, obj) ?? decodeTypeError(type, obj);
    if (typeError) throw typeError;
    const apiVersion = apiVersionOf(type.group, type.version);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion && !(type.custom && sameGroup(obj.apiVersion, type.group))) {
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${type.kind})`);
    }
    const meta: ObjectMeta = isObject(obj.metadata) ? { ...(obj.metadata as ObjectMeta) } : {};
    if (type.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
      if (!meta.namespace) throw badRequest('an empty namespace may not be set during creation');
    } else {
      delete meta.namespace;
    }
    return { ...obj, apiVersion, kind: type.kind, metadata: meta } as KubeObject;
  }

  private requireActiveNamespace(namespace: string, name: string): void {
    const ns = this.deps.store.get(namespaceStorageKey, '', namespace);
    if (!ns) throw notFound({ ...namespaceType, name: namespace });
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(
        { group: '', resource: 'namespace', name },
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }
}

/** Whether a merge/strategic patch sets metadata.resourceVersion, or a JSON patch touches it. */
function patchNamesResourceVersion(body: unknown): boolean {
  if (Array.isArray(body)) return body.some((op) => isObject(op) && op.path === '/metadata/resourceVersion');
  return isObject(body) && isObject(body.metadata) && body.metadata.resourceVersion !== undefined && body.metadata.resourceVersion !== null;
}

/**
 * A custom resource's body with the nulls of apiVersion, kind and metadata dropped (decoded as Go's typed TypeMeta and ObjectMeta),
 * those three first (apiVersion and kind even when absent, as undefined), then the other fields in the body's order.
 */
function withoutMetaNulls(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (body.apiVersion !== null) out.apiVersion = body.apiVersion;
  if (body.kind !== null) out.kind = body.kind;
  if (body.metadata !== null && body.metadata !== undefined) out.metadata = dropNulls(body.metadata);
  for (const key of Object.keys(body)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    // A JSON body may have an own "__proto__" field: defined as a field, as a spread would, not set as the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: body[key], enumerable: true, writable: true, configurable: true });
    else out[key] = body[key];
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const sameGroup = (apiVersion: string, group: string) => apiVersion.startsWith(`${group}/`);

const scopeOf = (type: ResourceType, namespace: string | undefined): string => (type.namespaced ? (namespace ?? '') : '');

/** What the request hooks are told about a request. */
function requestOf(
  verb: RequestVerb,
  type: ResourceType,
  namespace: string | undefined,
  name: string | undefined,
  extra: Partial<ApiRequest> = {},
): ApiRequest {
  return {
    verb,
    group: type.group,
    version: type.version,
    resource: type.plural,
    namespace: type.namespaced ? namespace : undefined,
    name,
    dryRun: false,
    ...extra,
  };
}

/**
 * How many times a write whose own key another API server wrote first is made again before it answers 409 Conflict
 * (kube's GuaranteedUpdate retries without a bound; a bound keeps a bug from looping forever).
 */
const MAX_STORAGE_CONFLICT_ATTEMPTS = 10;
/** And how many times in all, counting the writes undone only because an earlier write of this server was refused. */
const MAX_STORAGE_ATTEMPTS = 100;

/** The name a create's body asks for ("" with generateName: the name is made up later). */
const nameIn = (body: unknown): string => {
  const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string' ? name : '';
};

export const subject = (type: ResourceType, name?: string): ErrorSubject => ({ group: type.group, resource: type.plural, name });

/** Fields a client may not change: they stay as the server set them. */
function preserveSystemMeta(current: ObjectMeta, incoming: ObjectMeta): ObjectMeta {
  return dropUndefined({
    ...incoming,
    name: current.name,
    namespace: current.namespace,
    uid: current.uid,
    creationTimestamp: current.creationTimestamp,
    deletionTimestamp: current.deletionTimestamp,
    deletionGracePeriodSeconds: current.deletionGracePeriodSeconds,
    generation: current.generation,
    resourceVersion: current.resourceVersion,
    managedFields: incoming.managedFields ?? current.managedFields,
  });
}

function dropUndefined<T extends object>(obj: T): T {
  const out = {} as T;
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** kube-apiserver names the manager of a write without fieldManager after the client's user agent. */
const userAgentManager = (ctx: RequestContext): string => {
  // What precedes the first '/' (Go's strings.Split(ua, "/")[0]), without an array of every part per write.
  const slash = ctx.userAgent?.indexOf('/') ?? -1;
  return (slash < 0 ? ctx.userAgent : ctx.userAgent!.slice(0, slash)) || 'unknown';
};

/** Whether a create's resourceVersion is one Go's strconv.ParseUint(v, 10, 64) reads as a number other than 0. */
function setsResourceVersion(resourceVersion: string | undefined): boolean {
  return (
    resourceVersion !== undefined &&
    /^\d{1,20}$/.test(resourceVersion) &&
    BigInt(resourceVersion) !== 0n &&
    BigInt(resourceVersion) < 2n ** 64n
  );
}
