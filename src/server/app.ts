/**
 * The HTTP front: fastify with Kubernetes' body handling, discovery,
 * OpenAPI, health and version endpoints, and one generic resource handler.
 * Every failure leaves as a Status object.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Http2SecureServer } from 'node:http2';
import { StatusError, asStatusError, tooLarge } from '../api/errors.js';
import type { UserInfo } from '../auth/user.js';
import {
  aggregatedDiscovery,
  aggregatedDiscoveryMediaType,
  legacyCoreVersions,
  legacyGroup,
  legacyGroupList,
  legacyResourceList,
  wantsAggregated,
} from './discovery.js';
import { clientError, frameworkError } from './framework-errors.js';
import type { ApiServerParts } from './parts.js';
import { enforceHttp1Deadlines } from './http1-deadlines.js';
import {
  connectionLimits,
  defaultInFlightLimits,
  http2HeaderSettings,
  http2MaxHeaderListPairs,
  httpServerLimits,
  maxHeaderBytes,
  registerInFlightLimit,
  tlsLimits,
  type InFlightLimits,
} from './limits.js';
import { parseQueryFirstValues } from './query.js';
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
  /** TLS: the serving pair, and the CA whose client certificates authenticate (asked for, never required, as kube does). */
  https?: { key: string; cert: string; clientCa: string };
  /** Who sent the request; rejects with a 401 StatusError for a credential that does not authenticate. */
  authenticate(req: FastifyRequest['raw']): Promise<UserInfo>;
  logLevel?: string;
  /** The caps on requests in flight; kube-apiserver's defaults when absent. */
  inFlight?: InFlightLimits;
}

const notFoundStatus = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource');

export function buildApp(parts: ApiServerParts, options: AppOptions): FastifyInstance {
  const app = Fastify({
    // Request logs only when debugging: kubectl sends dozens of requests per command.
    logger: options.logLevel === 'debug' || options.logLevel === 'trace' ? { level: options.logLevel } : false,
    bodyLimit: maxRequestBodyBytes,
    // HTTP/2 and HTTP/1.1 on the one TLS port, as kube-apiserver negotiates them by ALPN: client-go's watch handling
    // relies on HTTP/2's stream errors, and WebSocket upgrades (exec, console, VNC) stay HTTP/1.1.
    http2: options.https !== undefined,
    // Client certificates are asked for, never required, as kube does; connection timeouts as kube-apiserver's HTTP server
    // has them (see limits.ts): they never end a watch once its request is in.
    https: options.https
      ? {
          allowHTTP1: true,
          key: options.https.key,
          cert: options.https.cert,
          ca: options.https.clientCa,
          requestCert: true,
          rejectUnauthorized: false,
          ...tlsLimits,
          ...httpServerLimits,
          settings: http2HeaderSettings,
          maxHeaderListPairs: http2MaxHeaderListPairs,
        }
      : null,
    http: httpServerLimits,
    requestTimeout: httpServerLimits.requestTimeout,
    keepAliveTimeout: httpServerLimits.keepAliveTimeout,
    // An HTTP/2 connection with no frames for Go's IdleTimeout is closed too (fastify's own default is 72 s).
    http2SessionTimeout: connectionLimits.idleTimeoutMs,
    forceCloseConnections: true,
    // Kubernetes names and paths are case-sensitive and may carry encoded characters.
    // Paths are bounded by the header limit (Go's MaxHeaderBytes) rather than by the router.
    routerOptions: {
      ignoreTrailingSlash: true,
      caseSensitive: true,
      maxParamLength: maxHeaderBytes,
      querystringParser: parseQueryFirstValues,
    },
    frameworkErrors: (error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => frameworkError(error, reply),
    clientErrorHandler: clientError,
  } as never) as unknown as FastifyInstance;

  // Node's HTTP/2 server serves HTTP/1.1 connections with its own defaults; give them kube's limits as the plain server has.
  if (options.https) {
    Object.assign(app.server, httpServerLimits);
    enforceHttp1Deadlines(app.server as unknown as Http2SecureServer, parts.wallClock);
  }

  // Clients send bodies with no Content-Type, empty JSON DELETE bodies, patch media types and protobuf:
  // take every body as bytes and decode per media type in the handlers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // An HTTP/2 request with a body need not say its length (Go sends none for a body of unknown size, as kubectl's
  // `create --raw -f -`), and HTTP/2 has no Transfer-Encoding; fastify reads a body only when one of them is there.
  app.addHook('onRequest', async (req) => {
    const stream = (req.raw as { stream?: { endAfterHeaders?: boolean } }).stream;
    if (stream && !stream.endAfterHeaders && req.headers['content-length'] === undefined) req.headers['transfer-encoding'] = 'chunked';
  });
  app.decorateRequest('user', null as never);
  app.addHook('onRequest', async (req) => {
    req.user = await options.authenticate(req.raw);
  });
  registerInFlightLimit(app, options.inFlight ?? defaultInFlightLimits);
  registerAuthorization(app, parts);

  app.setErrorHandler((error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => sendStatus(reply, toStatusError(error)));
  app.setNotFoundHandler((_req, reply) => sendStatus(reply, notFoundStatus()));

  app.get('/version', async () => parts.version);
  for (const path of ['/healthz', '/livez', '/readyz']) {
    app.get(path, async (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
  }

  app.get('/api', async (req, reply) => {
    if (wantsAggregated(req.headers.accept))
      return reply.type(aggregatedDiscoveryMediaType).send(JSON.stringify(aggregatedDiscovery(parts.types, true)));
    return legacyCoreVersions(`${req.hostname}`);
  });
  app.get('/apis', async (req, reply) => {
    if (wantsAggregated(req.headers.accept))
      return reply.type(aggregatedDiscoveryMediaType).send(JSON.stringify(aggregatedDiscovery(parts.types, false)));
    return legacyGroupList(parts.types);
  });
  app.get(
    '/apis/:group',
    async (req) => legacyGroup(parts.types, (req.params as { group: string }).group) ?? Promise.reject(notFoundStatus()),
  );

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
  // As kube's ErrorNegotiated: a Status that asks the client to retry later says when in Retry-After too.
  if (error.details?.retryAfterSeconds) reply.header('Retry-After', String(error.details.retryAfterSeconds));
  return reply.code(error.code).type('application/json').send(JSON.stringify(error.toStatus()));
}
