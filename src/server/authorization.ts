/**
 * Authorization in the HTTP front: after authentication has set `req.user`,
 * impersonation headers are resolved (and authorized) and the request is
 * authorized on its attributes before any handler runs, aggregated APIs
 * and their WebSocket upgrades included, as kube-apiserver's filter chain does.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { requestAttributes } from '../auth/authorization/request-attributes.js';
import { impersonatedUser } from '../auth/impersonation.js';
import type { UserInfo } from '../auth/user.js';
import type { ApiServerParts } from './parts.js';

export function registerAuthorization(app: FastifyInstance, parts: ApiServerParts): void {
  app.addHook('onRequest', async (req) => {
    req.user = impersonatedUser(req.user, req.headers, parts.authorizer);
    parts.authorizer.check(req.user, requestAttributes(req.method, req.url));
  });
}

/**
 * Authorizes an HTTP Upgrade (a console or VNC WebSocket), which bypasses
 * fastify's hooks; throws the 403 StatusError. `requester` is who the
 * connection authenticated as (the admin until authentication covers upgrades).
 */
export function authorizeUpgrade(parts: ApiServerParts, req: IncomingMessage, requester: UserInfo): UserInfo {
  const user = impersonatedUser(requester, req.headers, parts.authorizer);
  parts.authorizer.check(user, requestAttributes(req.method ?? 'GET', req.url ?? '/'));
  return user;
}
