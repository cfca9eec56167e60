/**
 * What every pods/<subresource> upgrade (exec, attach, portforward) shares, as
 * kube-apiserver serves them: the path names the pod; the caller needs its own
 * rights and, for a WebSocket GET, `create` on the subresource too, since the
 * GET opens a stream as a POST would (AuthorizePodWebsocketUpgradeCreatePermission);
 * an error before the upgrade is answered as a Status over plain HTTP.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { asStatusError } from '../../api/errors.js';
import { requestAttributes } from '../../auth/authorization/request-attributes.js';
import type { UserInfo } from '../../auth/user.js';
import { authorizeUpgrade } from '../authorization.js';
import type { ApiServerParts } from '../parts.js';
import { rejectUpgrade } from './upgrade-response.js';

/**
 * Handles the upgrade if its path matches `path` (namespace, pod, ... as groups): authorizes it, then `accept`s it;
 * false leaves it to the next handler.
 */
export function upgradePodSubresource(
  parts: ApiServerParts,
  req: IncomingMessage,
  user: UserInfo,
  socket: Duplex,
  path: RegExp,
  accept: (match: RegExpExecArray, query: URLSearchParams) => Promise<void>,
): boolean {
  const [pathname, query = ''] = (req.url ?? '/').split('?');
  const match = path.exec(pathname);
  if (!match) return false;
  const accepted = async () => {
    const effective = authorizeUpgrade(parts, req, user);
    if (req.method === 'GET') parts.authorizer.check(effective, requestAttributes('POST', req.url ?? '/'));
    await accept(match, new URLSearchParams(query));
  };
  accepted().catch((err: unknown) => {
    const status = asStatusError(err);
    rejectUpgrade(socket, status.code, 'application/json', JSON.stringify(status.toStatus()));
  });
  return true;
}

/** The subprotocols a WebSocket upgrade offers, in the client's order. */
export const offeredWebSocketProtocols = (req: IncomingMessage): string[] =>
  String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
