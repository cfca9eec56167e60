/**
 * Failures that happen before a request reaches a route: a URL the router
 * cannot decode, a request line or headers over the limit, a method or a
 * request the HTTP parser rejects. Each leaves as a Kubernetes Status
 * (fastify and Node would otherwise write their own JSON or a bare 400),
 * except headers over the limit, which Go's HTTP server refuses itself with
 * plain text before kube-apiserver sees the request.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { FastifyError, FastifyReply } from 'fastify';
import { badRequest, methodNotAllowed, StatusError } from '../api/errors.js';

/** fastify's frameworkErrors: a bad %-escape in the path (the router's parameter limit is the header limit's). */
export function frameworkError(error: FastifyError, reply: FastifyReply): void {
  const status = badRequest(
    error.code === 'FST_ERR_BAD_URL' ? `invalid URL escape in ${JSON.stringify(badEscapeOf(reply.request.url))}` : error.message,
  );
  void reply.code(status.code).type('application/json').send(JSON.stringify(status.toStatus()));
}

/** The first malformed %-escape of a URL, as Go's url.EscapeError quotes it. */
function badEscapeOf(url: string): string {
  const match = /%(?![0-9A-Fa-f]{2})[^/?&]{0,2}/.exec(url);
  return match ? match[0] : url;
}

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
};

/** Go's net/http answer to a request line and headers over MaxHeaderBytes: its own plain text, then the connection closes. */
const headersTooLargeAnswer =
  'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n' +
  '431 Request Header Fields Too Large';

/** Node's clientError: the request could not be parsed, so the answer is written on the socket, which then closes. */
export function clientError(error: Error & { code?: string; rawPacket?: Buffer }, socket: Socket): void {
  // Before the handshake is done (ALPN not yet decided) nothing can be answered over TLS.
  if (socket instanceof TLSSocket && socket.alpnProtocol === null) return tlsHandshakeError(error, socket);
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    socket.end(headersTooLargeAnswer);
    return;
  }
  const status = clientErrorStatus(error.code);
  // An answer to HEAD has no body, whatever the error.
  const body = error.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ' ? '' : JSON.stringify(status.toStatus());
  const head = [`HTTP/1.1 ${status.code} ${REASON_PHRASES[status.code]}`, 'Content-Type: application/json'];
  head.push(`Content-Length: ${Buffer.byteLength(body)}`);
  socket.end(`${[...head, 'Connection: close'].join('\r\n')}\r\n\r\n${body}`);
}

/**
 * A TLS handshake that failed or timed out (Node's handshakeTimeout, Go's
 * ReadHeaderTimeout, which covers the handshake): the connection is closed,
 * as Go's net/http closes it. A client that spoke plain HTTP gets Go's
 * clear-text 400 first, on the TCP socket under the TLS one (Node keeps it as
 * `_parent`). An HTTP answer written on the TLS socket itself would wait for a
 * handshake that never comes, and hold the connection for good.
 */
function tlsHandshakeError(error: Error & { code?: string }, socket: TLSSocket): void {
  const tcp = (socket as TLSSocket & { _parent?: Socket })._parent;
  if (error.code === 'ERR_SSL_HTTP_REQUEST' && tcp?.writable) {
    tcp.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
  }
  socket.destroy();
}

function clientErrorStatus(code: string | undefined): StatusError {
  switch (code) {
    case 'HPE_INVALID_METHOD':
      return methodNotAllowed('the server does not allow this method on the requested resource');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new StatusError(408, 'Timeout', 'request timed out');
    default:
      return badRequest('malformed HTTP request');
  }
}
