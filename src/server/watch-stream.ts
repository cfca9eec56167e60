/**
 * Streams a watch as newline-delimited JSON, as the apiserver does: Table
 * rows when kubectl asks for Tables, BOOKMARKs when allowed, an ERROR event
 * with 410 when the resourceVersion is too old, and keep-alive newlines so
 * clients with idle timers (client-node) do not drop the stream.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { StatusError } from '../api/errors.js';
import { bookmark, watchResource } from '../api/registry/list-watch.js';
import type { ResourceType, WatchEvent } from '../api/types.js';
import type { ApiServerParts } from './parts.js';
import { parseBool } from './request-info.js';
import { parseIncludeObject, toTable, wantsTable } from './table.js';

const keepAliveMs = 10_000;

export function streamWatch(
  parts: ApiServerParts,
  req: FastifyRequest,
  reply: FastifyReply,
  type: ResourceType,
  namespace: string | undefined,
  query: Record<string, string | undefined>,
): FastifyReply {
  let events: Observable<WatchEvent> | undefined;
  let expired: StatusError | undefined;
  try {
    events = watchResource(parts.store, type, {
      namespace,
      labelSelector: query.labelSelector,
      fieldSelector: query.fieldSelector,
      resourceVersion: query.resourceVersion,
    });
  } catch (err) {
    // Too old a resourceVersion is reported inside the stream, as the apiserver does; other errors are plain Status answers.
    if (!(err instanceof StatusError && err.code === 410)) throw err;
    expired = err;
  }

  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  // Sent at once, as the apiserver flushes them: client-go waits for the headers of a watch before it can cancel it, so `kubectl wait` on an already-met condition would otherwise hang until the first keep-alive.
  res.flushHeaders();
  const asTable = wantsTable(req.headers.accept);
  const include = parseIncludeObject(query.includeObject);
  const bookmarks = parseBool(query.allowWatchBookmarks);
  let firstTable = true;

  const write = (event: WatchEvent) => {
    let object: unknown = event.object;
    if (asTable && event.type !== 'BOOKMARK' && event.type !== 'ERROR') {
      object = toTable(type, [event.object], { include, now: parts.clock.now(), withColumns: firstTable });
      firstTable = false;
    }
    res.write(`${JSON.stringify({ type: event.type, object })}\n`);
  };

  if (expired) {
    write({ type: 'ERROR', object: expired.toStatus() as never });
    res.end();
    return reply;
  }

  const subscription = events!.subscribe({ next: write });
  const keepAliveTick = () => {
    if (bookmarks) write(bookmark(type, parts.store.resourceVersion));
    else res.write('\n');
    keepAlive = parts.wallClock.setTimeout(keepAliveTick, keepAliveMs);
  };
  let keepAlive = parts.wallClock.setTimeout(keepAliveTick, keepAliveMs);
  const timeoutSeconds = query.timeoutSeconds ? Number(query.timeoutSeconds) : undefined;
  const timeout = timeoutSeconds && timeoutSeconds > 0 ? parts.clock.setTimeout(() => finish(), timeoutSeconds * 1000) : undefined;

  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    subscription.unsubscribe();
    parts.wallClock.clearTimeout(keepAlive);
    if (timeout) parts.clock.clearTimeout(timeout);
    parts.openWatches.delete(finish);
    if (!res.writableEnded) res.end();
  };
  parts.openWatches.add(finish);
  res.on('close', finish);
  req.raw.on('close', finish);
  return reply;
}
