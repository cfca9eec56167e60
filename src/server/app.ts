/**
 * The HTTP front: fastify with Kubernetes' body handling, discovery,
 * OpenAPI, health and version endpoints, and one generic resource handler.
 * Every failure leaves as a Status object.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { StatusError, asStatusError, tooLarge } from '../api/errors.js';
import { adminUser, type UserInfo } from '../auth/user.js';
import {
  aggregatedDiscovery,
  aggregatedDiscoveryMediaType,
  legacyCoreVersions,
  legacyGroup,
  legacyGroupList,
  legacyResourceList,
  wantsAggregated,
} from './discovery.js';
import type { ApiServerParts } from './parts.js';
import { parseResourcePath } from './request-info.js';
import { handleResource } from './resource-handler.js';
import { registerAuthorization } from './authorization.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: UserInfo;
  }
}

/** The apiserver's default limit on request bodies (3 MiB). */
export const maxRequestBodyBytes = 3 * 1024 * 1024;

export interface AppOptions {
  https?: { key: string; cert: string };
  logLevel?: string;
}

const notFoundStatus = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource');

export function buildApp(parts: ApiServerParts, options: AppOptions): FastifyInstance {
  const app = Fastify({
    // Request logs only when debugging: kubectl sends dozens of requests per command.
    logger: options.logLevel === 'debug' || options.logLevel === 'trace' ? { level: options.logLevel } : false,
    bodyLimit: maxRequestBodyBytes,
    https: options.https ?? null,
    // Watches stay open for many minutes; kubectl picks its own timeouts.
    requestTimeout: 0,
    keepAliveTimeout: 65_000,
    forceCloseConnections: true,
    // Kubernetes names and paths are case-sensitive and may carry encoded characters.
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 1000 },
  } as never) as unknown as FastifyInstance;

  // Clients send bodies with no Content-Type, empty JSON DELETE bodies, patch media types and protobuf:
  // take every body as bytes and decode per media type in the handlers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.decorateRequest('user', null as never);
  app.addHook('onRequest', async (req) => {
    // Every credential maps to the cluster admin, as a kind cluster's kubeconfig user is.
    req.user = adminUser;
  });
  registerAuthorization(app, parts);

  app.setErrorHandler((error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => sendStatus(reply, toStatusError(error)));
  app.setNotFoundHandler((_req, reply) => sendStatus(reply, notFoundStatus()));

  app.get('/version', async () => parts.version);
  for (const path of ['/healthz', '/livez', '/readyz']) {
    app.get(path, async (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
  }

  app.get('/api', async (req, reply) => {
    if (wantsAggregated(req.headers.accept)) return reply.type(aggregatedDiscoveryMediaType).send(JSON.stringify(aggregatedDiscovery(parts.types, true)));
    return legacyCoreVersions(`${req.hostname}`);
  });
  app.get('/apis', async (req, reply) => {
    if (wantsAggregated(req.headers.accept)) return reply.type(aggregatedDiscoveryMediaType).send(JSON.stringify(aggregatedDiscovery(parts.types, false)));
    return legacyGroupList(parts.types);
  });
  app.get('/apis/:group', async (req) => legacyGroup(parts.types, (req.params as { group: string }).group) ?? Promise.reject(notFoundStatus()));

  // kubectl falls back to protobuf OpenAPI v2 only when v3 is missing; a 404 here is what works (see the contract).
  app.get('/openapi/v2', async () => Promise.reject(notFoundStatus()));
  app.get('/openapi/v3', async () => parts.openapi.index());
  app.get('/openapi/v3/*', async (req, reply) => {
    const key = (req.params as { '*': string })['*'];
    const doc = parts.openapi.document(key);
    if (!doc) throw notFoundStatus();
    const etag = `"${doc.hash}"`;
    reply.header('ETag', etag).header('Vary', 'Accept').header('Cache-Control', 'public, immutable');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/json').send(doc.body);
  });

  const resource = async (req: FastifyRequest, reply: FastifyReply) => {
    const parsed = parseResourcePath(req.url.split('?')[0]);
    if (parsed.kind === 'unknown') throw notFoundStatus();
    if (parsed.kind === 'groupVersion') {
      if (req.method !== 'GET') throw notFoundStatus();
      return legacyResourceList(parts.types, parsed.group, parsed.version) ?? Promise.reject(notFoundStatus());
    }
    return handleResource(parts, req, reply, parsed.request);
  };
  app.all('/api/*', resource);
  app.all('/apis/:group/*', resource);
  return app;
}

function toStatusError(error: FastifyError): StatusError {
  if (error instanceof StatusError) return error;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge();
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new StatusError(error.statusCode, error.statusCode === 415 ? 'UnsupportedMediaType' : 'BadRequest', error.message);
  }
  return asStatusError(error);
}

function sendStatus(reply: FastifyReply, error: StatusError): FastifyReply {
  return reply.code(error.code).type('application/json').send(JSON.stringify(error.toStatus()));
}
