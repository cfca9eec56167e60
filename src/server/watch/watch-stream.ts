/**
 * Streams a watch as newline-delimited JSON, as the apiserver does: Table
 * rows when kubectl asks for Tables, BOOKMARKs when allowed (as the cacher
 * sends them: every minute, and 2 s before the watch's timeout), an ERROR
 * event with 410 when the resourceVersion is too old, and keep-alive
 * newlines so clients with idle timers (client-node) do not drop the stream.
 * Events reach the client at the pace it reads (WatchSender); a client that
 * stays behind is disconnected.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StatusError } from '../../api/errors.js';
import { bookmark, prepareWatch, type PreparedWatch } from '../../api/registry/list-watch.js';
import type { KubeObject, ResourceType, WatchEvent } from '../../api/types.js';
import type { TimerHandle } from '../../runtime/clock.js';
import type { ApiServerParts } from '../parts.js';
import { parseBool } from '../request-info.js';
import { parseIncludeObject, toTable, wantsTable } from '../table.js';
import { WatchSender } from './watch-sender.js';

const keepAliveMs = 10_000;
/** The cacher's bookmark frequency, and how long before a watch's deadline it sends the last one. */
const bookmarkEveryMs = 60_000;
const bookmarkBeforeDeadlineMs = 2_000;
/** How long a closed watch may take to flush to its client before the connection is dropped. */
const closeFlushMs = 5_000;

/**
 * Each event serialised once for all the watchers it goes to, as the
 * cacher's cachingObject does: the same bytes are written to every socket,
 * and forgotten once the dispatch is over (a lasting cache would double the
 * store's memory).
 */
let dispatchCache = new Map<KubeObject, Map<string, Buffer>>();

function encoded(event: WatchEvent): Buffer {
  let byType = dispatchCache.get(event.object);
  if (!byType) {
    if (dispatchCache.size === 0) queueMicrotask(() => (dispatchCache = new Map()));
    dispatchCache.set(event.object, (byType = new Map()));
  }
  let bytes = byType.get(event.type);
  if (!bytes) byType.set(event.type, (bytes = Buffer.from(`{"type":"${event.type}","object":${JSON.stringify(event.object)}}\n`)));
  return bytes;
}

export function streamWatch(
  parts: ApiServerParts,
  req: FastifyRequest,
  reply: FastifyReply,
  type: ResourceType,
  namespace: string | undefined,
  query: Record<string, string | undefined>,
): FastifyReply {
  let prepared: PreparedWatch | undefined;
  let expired: StatusError | undefined;
  try {
    prepared = prepareWatch(parts.store, type, {
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
  // No length: HTTP/1.1 sends it chunked, HTTP/2 as DATA frames (which forbid a Transfer-Encoding header).
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  // Sent at once, as the apiserver flushes them: client-go waits for the headers of a watch before it can cancel it, so `kubectl wait` on an already-met condition would otherwise hang until the first keep-alive.
  res.flushHeaders();
  const asTable = wantsTable(req.headers.accept);
  const include = parseIncludeObject(query.includeObject);
  let firstTable = true;
  const encode = (event: WatchEvent): string | Buffer => {
    if (asTable && event.type !== 'BOOKMARK' && event.type !== 'ERROR') {
      const table = toTable(type, [event.object], { include, now: parts.clock.now(), withColumns: firstTable });
      firstTable = false;
      return `${JSON.stringify({ type: event.type, object: table })}\n`;
    }
    return encoded(event);
  };

  if (expired) {
    res.end(encode({ type: 'ERROR', object: expired.toStatus() as never }));
    return reply;
  }

  let finished = false;
  const sender = new WatchSender(res, encode, parts.wallClock, () => finish());
  const timers = watchTimers(parts, query, sender, type, () => finish());
  sender.start(prepared!.initial());
  // The bytes every watcher shares are made while the store's dispatch runs (the cache is forgotten after it); a Table
  // is made per watcher when written, so that the first one written carries the columns.
  const unsubscribe = prepared!.subscribe((event) => sender.push(asTable ? event : encoded(event)));

  const finish = () => {
    if (finished) return;
    finished = true;
    unsubscribe();
    sender.stop();
    timers.stop();
    parts.openWatches.delete(finish);
    endWithin(parts, res, closeFlushMs);
  };
  parts.openWatches.add(finish);
  res.on('close', finish);
  req.raw.on('close', finish);
  return reply;
}

/** Ends the response; a client that does not read it to the end within `ms` loses the connection instead. */
function endWithin(parts: ApiServerParts, res: FastifyReply['raw'], ms: number): void {
  if (res.writableEnded) return;
  res.end();
  if (res.writableFinished) return;
  const drop = parts.wallClock.setTimeout(() => res.destroy(), ms);
  res.once('close', () => parts.wallClock.clearTimeout(drop));
}

/** The watch's deadline (timeoutSeconds, on the simulation clock), its bookmarks, and transport keep-alives. */
function watchTimers(
  parts: ApiServerParts,
  query: Record<string, string | undefined>,
  sender: WatchSender,
  type: ResourceType,
  end: () => void,
) {
  const { clock, wallClock } = parts;
  const timeoutSeconds = query.timeoutSeconds ? Number(query.timeoutSeconds) : 0;
  // kube ends a watch with a negative timeout at once; 0 or none means no deadline here (kube picks 30 to 60 minutes).
  const deadlineMs = Number.isFinite(timeoutSeconds) && timeoutSeconds !== 0 ? clock.nowMs() + timeoutSeconds * 1000 : Infinity;
  const deadline = deadlineMs < Infinity ? clock.setTimeout(end, deadlineMs - clock.nowMs()) : undefined;

  let bookmarkTimer: TimerHandle | undefined;
  const scheduleBookmark = () => {
    const dueMs = Math.min(clock.nowMs() + bookmarkEveryMs, deadlineMs - bookmarkBeforeDeadlineMs);
    // Past the last one before the deadline (or a deadline too close for any): no more bookmarks.
    if (dueMs <= clock.nowMs()) return;
    bookmarkTimer = clock.setTimeout(() => {
      sender.offer(bookmark(type, parts.store.resourceVersion));
      scheduleBookmark();
    }, dueMs - clock.nowMs());
  };
  if (parseBool(query.allowWatchBookmarks)) scheduleBookmark();

  let keepAlive: TimerHandle;
  const keepAliveTick = () => {
    sender.keepAlive();
    keepAlive = wallClock.setTimeout(keepAliveTick, keepAliveMs);
  };
  keepAlive = wallClock.setTimeout(keepAliveTick, keepAliveMs);

  return {
    stop() {
      if (deadline) clock.clearTimeout(deadline);
      if (bookmarkTimer) clock.clearTimeout(bookmarkTimer);
      wallClock.clearTimeout(keepAlive);
    },
  };
}
