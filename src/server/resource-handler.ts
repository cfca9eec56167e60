/**
 * Serves every resource URL with generic verbs: one handler for all types,
 * parameterised by the type table, never a route per kind.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GoLiteral, notSupported } from '../api/builtins/field-errors.js';
import { badRequest, invalid, methodNotAllowed, noRouteForMethod, StatusError } from '../api/errors.js';
import { validateFieldManager } from '../api/validation/objectmeta.js';
import { newContext, type FieldValidation, type RequestContext } from '../api/registry/context.js';
import { validateListOptions } from '../api/registry/list-options.js';
import { listPage, servedFromWatchCache, untilFresh, type ListQuery } from '../api/registry/list-watch.js';
import { applyPatch } from '../api/patch/index.js';
import { apiVersionOf, type KubeObject, type ResourceType } from '../api/types.js';
import type { DeleteOptions, PatchType, PropagationPolicy } from '../client/client.js';
import { deleteOptionsTypeError } from '../api/validation/decode.js';
import { decodeBody, isJsonMediaType, mediaTypeOf, patchMediaTypes } from './body.js';
import { duplicateJsonFields } from './json-scan.js';
import type { ApiServerParts } from './parts.js';
import { parseBool, type ResourceRequest } from './request-info.js';
import { fromScale, toScale } from './scale.js';
import { chunkedJson } from './chunked-json.js';
import { parseIncludeObject, tableHead, tableRow, toTable, wantsTable } from './table.js';
import { streamWatch } from './watch/watch-stream.js';

/** First values of the query parameters (src/server/query.ts). */
type Query = Record<string, string | undefined>;

export async function handleResource(
  parts: ApiServerParts,
  req: FastifyRequest,
  reply: FastifyReply,
  request: ResourceRequest,
): Promise<unknown> {
  const type = parts.types.byResource(request.group, request.version, request.resource);
  if (!type) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  if (request.namespace !== undefined && !type.namespaced)
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  const query = req.query as Query;
  const ctx = requestContext(req, query);
  if (type.deprecationWarning) {
    ctx.warnings.push(type.deprecationWarning);
    // Reads and watches answer without respond(); writes set the header again with every warning.
    setWarningHeader(reply, ctx);
  }
  const { namespace, name, subresource } = request;
  const method = req.method;

  if (subresource) {
    const info = type.subresources.find((s) => s.name === subresource);
    if (!info || !name) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    const custom = parts.subresources.get(`${type.storageKey}/${subresource}`);
    // Subresource POSTs (binding, eviction, token) create something: 201 unless the handler says otherwise.
    if (custom && method === 'POST') reply.code(201);
    const admit = (object: KubeObject) => parts.registry.admitSubresourceCreate(type, namespace, name, subresource, object, ctx);
    if (custom)
      return custom({
        type,
        namespace,
        name,
        method,
        query,
        body: decodeBody(req.body as Buffer, req.headers['content-type']),
        ctx,
        reply,
        admit,
      });
    if (subresource === 'scale') return handleScale(parts, req, type, namespace, name, ctx);
    return handleObject(parts, req, reply, type, namespace, name, ctx, subresource);
  }

  if (!name) {
    const virtual = parts.virtualCreates.get(type.storageKey);
    if (method === 'POST' && virtual) {
      reply.code(201);
      return virtual(decodeBody(req.body as Buffer, req.headers['content-type']), ctx, namespace);
    }
    if (namespace === undefined && type.namespaced && method !== 'GET') throw methodRefused(type);
    return handleCollection(parts, req, reply, type, namespace, ctx);
  }
  if (type.namespaced && namespace === undefined)
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  if (method === 'POST') {
    // kube-apiserver registers POST of a built-in resource on its collection path only (installer.go,
    // registerResourceHandlers), so go-restful refuses it on a named path. The CRD handler takes any POST as
    // "create" (customresource_handler.go), and create.go keys the object by its own metadata.name.
    if (!type.custom) throw noRouteForMethod();
    return handleCollection(parts, req, reply, type, namespace, ctx);
  }
  return handleObject(parts, req, reply, type, namespace, name, ctx);
}

/** The options kind whose validation a write's query parameters go through (ValidateCreateOptions and friends). */
const optionsKindOf: Record<string, string> = {
  POST: 'CreateOptions',
  PUT: 'UpdateOptions',
  PATCH: 'PatchOptions',
  DELETE: 'DeleteOptions',
};

function requestContext(req: FastifyRequest, query: Query): RequestContext {
  const dryRun = query.dryRun;
  const optionsKind = optionsKindOf[req.method];
  if (optionsKind) {
    const errors = [];
    if (dryRun !== undefined && dryRun !== 'All') {
      errors.push(notSupported('dryRun', new GoLiteral(`[]string{${JSON.stringify(dryRun)}}`), ['All']));
    }
    if (query.fieldManager !== undefined && optionsKind !== 'DeleteOptions') {
      errors.push(...validateFieldManager(query.fieldManager, 'fieldManager'));
    }
    if (errors.length) throw invalid(optionsKind, 'meta.k8s.io', '', errors);
  }
  const fieldValidation = query.fieldValidation ?? 'Ignore';
  if (!['Strict', 'Warn', 'Ignore'].includes(fieldValidation)) {
    throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${fieldValidation}"`);
  }
  return newContext(req.user, {
    dryRun: dryRun === 'All',
    fieldManager: query.fieldManager,
    fieldValidation: fieldValidation as FieldValidation,
    userAgent: req.headers['user-agent'],
  });
}

function verbAllowed(type: ResourceType, verb: string): void {
  if (!type.verbs.includes(verb)) throw methodRefused(type);
}

/** A method with no handler: go-restful's 405 for built-in resources, the CRD handler's plain one for custom resources. */
function methodRefused(type: ResourceType): StatusError {
  return type.custom ? methodNotAllowed('the server does not allow this method on the requested resource') : noRouteForMethod();
}

async function handleCollection(
  parts: ApiServerParts,
  req: FastifyRequest,
  reply: FastifyReply,
  type: ResourceType,
  namespace: string | undefined,
  ctx: RequestContext,
) {
  const query = req.query as Query;
  switch (req.method) {
    case 'GET': {
      validateListOptions({ ...query, watch: parseBool(query.watch) });
      if (parseBool(query.watch)) {
        verbAllowed(type, 'watch');
        return streamWatch(parts, req, reply, type, namespace, query);
      }
      verbAllowed(type, 'list');
      const listQuery: ListQuery = {
        namespace,
        labelSelector: query.labelSelector,
        fieldSelector: query.fieldSelector,
        limit: query.limit ? Number(query.limit) : undefined,
        continue: query.continue,
        resourceVersion: query.resourceVersion,
        resourceVersionMatch: query.resourceVersionMatch,
      };
      if (servedFromWatchCache(listQuery)) await untilFresh(parts.store, parts.clock, listQuery.resourceVersion);
      const page = listPage(parts.store, type, listQuery);
      const listMeta = { resourceVersion: page.resourceVersion, continue: page.continue, remainingItemCount: page.remainingItemCount };
      reply.type('application/json; charset=utf-8');
      if (wantsTable(req.headers.accept)) {
        const rowOptions = { include: parseIncludeObject(query.includeObject), now: parts.clock.now() };
        return reply.send(chunkedJson(tableHead(type, { listMeta }), 'rows', page.items, (obj) => tableRow(type, obj, rowOptions)));
      }
      const head = { kind: type.listKind, apiVersion: apiVersionOf(type.group, type.version), metadata: listMeta };
      return reply.send(chunkedJson(head, 'items', page.items, (obj) => withTypeMeta(type, obj)));
    }
    case 'POST': {
      verbAllowed(type, 'create');
      const body = decodeObjectBody(req, type, ctx);
      const created = await parts.registry.create(type, namespace, body, ctx);
      reply.code(201);
      return respond(reply, ctx, created);
    }
    case 'DELETE': {
      verbAllowed(type, 'deletecollection');
      const options = deleteOptions(req, query);
      if (options.dryRun) ctx.dryRun = true;
      const page = listPage(parts.store, type, { namespace, labelSelector: query.labelSelector, fieldSelector: query.fieldSelector });
      const deleted: KubeObject[] = [];
      for (const item of page.items) {
        try {
          deleted.push((await parts.registry.delete(type, item.metadata.namespace, item.metadata.name!, options, ctx)).object);
        } catch (err) {
          // An object that vanished in between is simply gone already.
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
      return respond(reply, ctx, { kind: type.listKind, apiVersion: apiVersionOf(type.group, type.version), metadata: {}, items: deleted });
    }
    default:
      throw methodRefused(type);
  }
}

async function handleObject(
  parts: ApiServerParts,
  req: FastifyRequest,
  reply: FastifyReply,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  ctx: RequestContext,
  subresource?: string,
) {
  const query = req.query as Query;
  switch (req.method) {
    case 'GET': {
      verbAllowed(type, 'get');
      // A get at a resourceVersion is served by the watch cache, which first waits to reach it.
      await untilFresh(parts.store, parts.clock, query.resourceVersion);
      const obj = parts.registry.get(type, namespace, name);
      if (wantsTable(req.headers.accept) && !subresource) {
        return toTable(type, [obj], {
          include: parseIncludeObject(query.includeObject),
          now: parts.clock.now(),
          listMeta: { resourceVersion: obj.metadata.resourceVersion },
        });
      }
      return withTypeMeta(type, obj);
    }
    case 'PUT': {
      verbAllowed(type, 'update');
      const body = decodeObjectBody(req, type, ctx);
      const result = await parts.registry.update(type, namespace, name, body ?? {}, ctx, subresource);
      return respond(reply, ctx, result.object);
    }
    case 'PATCH': {
      verbAllowed(type, 'patch');
      const patchType = patchTypeOf(req.headers['content-type'], type);
      const body = decodeBody(req.body as Buffer, req.headers['content-type']);
      if (body === undefined) throw badRequest('the body of the request was empty');
      if (patchType !== 'json') noteDuplicateFields(req, ctx);
      const result = await parts.registry.patch(type, namespace, name, patchType, body, ctx, {
        subresource,
        force: parseBool(query.force),
      });
      if (result.created) reply.code(201);
      return respond(reply, ctx, result.object);
    }
    case 'DELETE': {
      if (subresource) throw methodRefused(type);
      verbAllowed(type, 'delete');
      const options = deleteOptions(req, query);
      // kubectl puts server-side dry run in the DeleteOptions body rather than the query.
      if (options.dryRun) ctx.dryRun = true;
      const result = await parts.registry.delete(type, namespace, name, options, ctx);
      // 200 with the object, whether it is gone or now waits on finalizers or grace (the apiserver answers
      // 202 only for the legacy orphanDependents=false option, which no current client sends).
      return respond(reply, ctx, result.object);
    }
    default:
      throw methodRefused(type);
  }
}

async function handleScale(
  parts: ApiServerParts,
  req: FastifyRequest,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  ctx: RequestContext,
) {
  const current = parts.registry.get(type, namespace, name);
  if (req.method === 'GET') return toScale(type, current);
  const body = decodeBody(req.body as Buffer, req.headers['content-type']);
  let scale: unknown = body;
  if (req.method === 'PATCH') {
    const patchType = patchTypeOf(req.headers['content-type'], type);
    scale = applyPatch(patchType === 'apply' ? 'merge' : patchType, toScale(type, current), body, undefined);
  } else if (req.method !== 'PUT') {
    throw methodRefused(type);
  }
  const result = await parts.registry.update(type, namespace, name, fromScale(type, current, scale), ctx);
  return toScale(type, result.object);
}

function patchTypeOf(contentType: string | undefined, type: ResourceType): PatchType {
  const patchType = patchMediaTypes[mediaTypeOf(contentType)];
  if (!patchType) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${type.custom ? '' : 'application/strategic-merge-patch+json, '}application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
    );
  }
  return patchType;
}

/** A create or update body: decoded into the kind, its repeated keys noted for strict field validation. */
function decodeObjectBody(req: FastifyRequest, type: ResourceType, ctx: RequestContext): unknown {
  const body = decodeBody(req.body as Buffer, req.headers['content-type'], type.kind);
  noteDuplicateFields(req, ctx);
  return body;
}

function noteDuplicateFields(req: FastifyRequest, ctx: RequestContext): void {
  if (ctx.fieldValidation === 'Ignore' || !isJsonMediaType(req.headers['content-type'])) return;
  ctx.duplicateFields = duplicateJsonFields((req.body as Buffer).toString('utf8'));
}

function deleteOptions(req: FastifyRequest, query: Query): DeleteOptions {
  const body = decodeBody(req.body as Buffer, req.headers['content-type'], 'DeleteOptions');
  const typeError = body && typeof body === 'object' ? deleteOptionsTypeError(body as Record<string, unknown>) : undefined;
  if (typeError) throw typeError;
  const fromBody = (body && typeof body === 'object' ? body : {}) as DeleteOptions & { dryRun?: string[] | boolean };
  const orphan = parseBool(query.orphanDependents) || (fromBody as { orphanDependents?: boolean }).orphanDependents === true;
  const policy = (query.propagationPolicy ?? fromBody.propagationPolicy ?? (orphan ? 'Orphan' : undefined)) as
    | PropagationPolicy
    | undefined;
  if (policy && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw badRequest(
      `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  const grace = query.gracePeriodSeconds ?? (fromBody.gracePeriodSeconds === undefined ? undefined : String(fromBody.gracePeriodSeconds));
  return {
    propagationPolicy: policy,
    gracePeriodSeconds: grace === undefined ? undefined : Number(grace),
    preconditions: fromBody.preconditions,
    dryRun: query.dryRun === 'All' || (Array.isArray(fromBody.dryRun) && fromBody.dryRun.includes('All')),
  };
}

/** Objects in responses always carry kind and apiVersion. */
function withTypeMeta(type: ResourceType, obj: KubeObject): KubeObject {
  const apiVersion = apiVersionOf(type.group, type.version);
  return obj.kind === type.kind && obj.apiVersion === apiVersion ? obj : { ...obj, kind: type.kind, apiVersion };
}

function respond(reply: FastifyReply, ctx: RequestContext, body: unknown): unknown {
  setWarningHeader(reply, ctx);
  return body;
}

function setWarningHeader(reply: FastifyReply, ctx: RequestContext): void {
  if (ctx.warnings.length)
    reply.header(
      'Warning',
      ctx.warnings.map((w) => `299 - ${JSON.stringify(w)}`),
    );
}
