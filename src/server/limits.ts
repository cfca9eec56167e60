/**
 * What one client can hold of the server, bounded as kube-apiserver bounds
 * it: connection timeouts of its HTTP server (a slowloris or idle connection
 * is closed), and the cap on requests in flight (--max-requests-inflight,
 * --max-mutating-requests-inflight) beyond which a request is refused with
 * 429 at once instead of waiting in an unbounded queue. Socket timeouts run
 * on real time: they guard the process, not the simulation.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseBool, parseResourcePath, type ResourceRequest } from './request-info.js';

/** Go's http.Server settings in kube-apiserver's secure serving. */
export const connectionLimits = {
  /** ReadHeaderTimeout: a request's headers (and the TLS handshake before them) must arrive within 32 s. */
  readHeaderTimeoutMs: 32_000,
  /** IdleTimeout: a keep-alive connection with no request for 90 s is closed. */
  idleTimeoutMs: 90_000,
  /** A request's body must arrive within kube's default --request-timeout (60 s). */
  requestBodyTimeoutMs: 60_000,
};

/**
 * MaxHeaderBytes of kube-apiserver's http.Server (1 MiB, Go's default too). Go reads a request's line and headers
 * through a limit 4096 bytes above it (its bufio slop) and refuses at that limit.
 */
export const maxHeaderBytes = 1 << 20;
const headerReadLimitBytes = maxHeaderBytes + 4096;

/**
 * HTTP/2's SETTINGS_MAX_HEADER_LIST_SIZE as Go's server derives it from MaxHeaderBytes (room for ten typical fields'
 * 32-byte overhead), and as many fields as fit in it (each counts 32 bytes): Go counts no fields, Node refuses
 * more than 128 by default.
 */
export const http2HeaderSettings = { maxHeaderListSize: maxHeaderBytes + 10 * 32 };
export const http2MaxHeaderListPairs = Math.ceil(http2HeaderSettings.maxHeaderListSize / 32);

/** How often Node looks for connections past their header or request timeout (its default is 30 s, too coarse for 32 s). */
const timeoutCheckIntervalMs = 2_000;

/** TLS server options: the handshake counts against the header timeout, as in Go. */
export const tlsLimits = { handshakeTimeout: connectionLimits.readHeaderTimeoutMs };

/** Options for Node's HTTP server, given at its creation. */
export const httpServerLimits = {
  headersTimeout: connectionLimits.readHeaderTimeoutMs,
  requestTimeout: connectionLimits.requestBodyTimeoutMs,
  keepAliveTimeout: connectionLimits.idleTimeoutMs,
  connectionsCheckingInterval: timeoutCheckIntervalMs,
  maxHeaderSize: headerReadLimitBytes,
};

export interface InFlightLimits {
  /** kube-apiserver's --max-requests-inflight: reads at once (0: no limit). */
  maxRequestsInflight: number;
  /** --max-mutating-requests-inflight: writes at once (0: no limit). */
  maxMutatingRequestsInflight: number;
}

export const defaultInFlightLimits: InFlightLimits = { maxRequestsInflight: 400, maxMutatingRequestsInflight: 200 };

/** kube-apiserver's long-running requests, which the in-flight cap leaves out: watches, proxies, and streaming subresources. */
const longRunningSubresources = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

/** How kube's max-in-flight filter sees a request: long-running ones are not counted, writes and reads have their own caps. */
function classify(req: FastifyRequest): 'longRunning' | 'writes' | 'reads' {
  const [path] = req.url.split('?');
  if (parseBool((req.query as Record<string, string | undefined>).watch) && req.method === 'GET') return 'longRunning';
  let resource: ResourceRequest | undefined;
  try {
    const parsed = parseResourcePath(path);
    if (parsed.kind === 'resource') resource = parsed.request;
  } catch {
    // A path that does not decode is answered by the handlers, counted like any request.
  }
  if (resource ? longRunningSubresources.has(resource.subresource ?? '') : path.endsWith('/watch')) return 'longRunning';
  // kube's nonMutatingRequestVerbs are get, list and watch: a resource's GET and HEAD, a non-resource path's GET only.
  return req.method === 'GET' || (req.method === 'HEAD' && resource) ? 'reads' : 'writes';
}

/**
 * The max-in-flight filter: a request over the cap gets kube's plain-text 429
 * with Retry-After: 1 (http.Error in its filter, not a Status). The cap
 * covers every identity; the emulator's kubeconfig user stands for kind's
 * kubernetes-admin, which kube does not exempt (only system:masters is).
 */
export function registerInFlightLimit(app: FastifyInstance, limits: InFlightLimits): void {
  const inFlight = { reads: 0, writes: 0 };
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const kind = classify(req);
    if (kind === 'longRunning') return;
    const cap = kind === 'writes' ? limits.maxMutatingRequestsInflight : limits.maxRequestsInflight;
    if (cap > 0 && inFlight[kind] >= cap) {
      return reply
        .code(429)
        .header('Retry-After', '1')
        .header('X-Content-Type-Options', 'nosniff')
        .type('text/plain; charset=utf-8')
        .send('Too many requests, please try again later.\n');
    }
    inFlight[kind]++;
    reply.raw.once('close', () => inFlight[kind]--);
  });
}
