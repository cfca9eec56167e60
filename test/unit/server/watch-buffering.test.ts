// Watch buffering: the slices that write every watcher's events, and the bound on what one watcher may hold (WatchSender),
// checked as each event is queued, against a real HTTP server and real sockets.
import t from 'tap';
import http, { type ServerResponse } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { RealClock } from '../../../src/runtime/clock.js';
import { type WatchBufferLimits, WatchSender } from '../../../src/server/watch/watch-sender.js';
import { type Flushable, WriteSlices } from '../../../src/server/watch/write-slices.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A watcher whose socket takes everything: each flush writes what it holds, in order. */
class Target implements Flushable {
  readonly written: number[] = [];
  flushes = 0;
  private held: number[] = [];
  hold(...events: number[]): void {
    this.held.push(...events);
  }
  flush(): void {
    this.flushes++;
    this.written.push(...this.held);
    this.held = [];
  }
}

const flushedCount = (targets: Target[]) => targets.filter((target) => target.flushes > 0).length;

t.test('a fan-out is written in slices over the next turns of the event loop, not in the call that asks', async (t) => {
  const slices = new WriteSlices({ minPerSlice: 2, turnsToDrain: 4 });
  const targets = Array.from({ length: 20 }, () => new Target());
  for (const target of targets) {
    target.hold(1, 2);
    slices.request(target);
  }
  t.equal(flushedCount(targets), 0, 'the store write that asked returns before any socket write');

  // A quarter of the 20 waiting, then of the 15 left, and so on: never fewer than 2.
  const flushedPerTurn: number[] = [];
  for (let turn = 0; turn < 8 && flushedCount(targets) < targets.length; turn++) {
    await nextTurn();
    flushedPerTurn.push(flushedCount(targets));
  }
  t.same(flushedPerTurn, [5, 9, 12, 14, 16, 18, 20], 'a share of the waiting per turn, the event loop turning between slices');
  t.same(
    targets.map((target) => target.written),
    targets.map(() => [1, 2]),
    'every target got its events, in order, with one flush',
  );
  t.same(new Set(targets.map((target) => target.flushes)), new Set([1]));
});

t.test('a target that asks again before its slice is flushed once; a cancelled one is not flushed', async (t) => {
  const slices = new WriteSlices({ minPerSlice: 16, turnsToDrain: 8 });
  const kept = new Target();
  const cancelled = new Target();
  for (const event of [1, 2, 3]) {
    kept.hold(event);
    slices.request(kept);
  }
  cancelled.hold(9);
  slices.request(cancelled);
  slices.cancel(cancelled);
  await nextTurn();
  await nextTurn();
  t.same(kept.written, [1, 2, 3]);
  t.equal(kept.flushes, 1);
  t.equal(cancelled.flushes, 0);
});

/** A watch response on a real HTTP server, and the raw client socket reading it (or not). */
async function watchConnection(t: Tap.Test, limits: WatchBufferLimits, reading: boolean) {
  let onResponse!: (res: ServerResponse) => void;
  const responded = new Promise<ServerResponse>((resolve) => (onResponse = resolve));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    onResponse(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  // Events end in "}\n", HTTP's chunk framing in "\r\n".
  const received = { events: 0, lastByte: 0 };
  client.on('data', (chunk: Buffer) => {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0x0a && (i > 0 ? chunk[i - 1] : received.lastByte) === 0x7d) received.events++;
    }
    received.lastByte = chunk[chunk.length - 1];
    if (!reading) client.pause();
  });
  client.write('GET /watch HTTP/1.1\r\nHost: x\r\n\r\n');
  const res = await responded;
  const closed = { count: 0 };
  const sender = new WatchSender(
    res,
    () => '',
    new RealClock(),
    () => closed.count++,
    limits,
    new WriteSlices(),
  );
  sender.start([]);
  t.teardown(() => {
    client.destroy();
    res.destroy();
    server.close();
  });
  return { res, sender, closed, received };
}

const event = (n: number) => Buffer.from(`{"type":"MODIFIED","object":{"n":${n},"pad":"${'x'.repeat(16 * 1024)}"}}\n`);
const limits: WatchBufferLimits = {
  maxBufferedEvents: 1000,
  maxBufferedBytes: 64 * 1024,
  behindGraceMs: 300,
  hardMaxBufferedEvents: 10_000,
  hardMaxBufferedBytes: 64 * 1024 * 1024,
};

t.test('a watcher that does not read is closed by the first event that finds it over its bound past the grace', async (t) => {
  const { res, sender, closed } = await watchConnection(t, limits, false);
  // Fill the kernel's socket buffers: the socket stops taking (needs a drain).
  let n = 0;
  for (let turns = 0; turns < 2_000 && !res.writableNeedDrain; turns++) {
    sender.push(event(n++));
    await nextTurn();
  }
  t.ok(res.writableNeedDrain, `the socket is full after ${n} events`);
  // 4 MiB behind, far over the bound (64 KiB): more than the kernel may still take meanwhile as it grows its buffers.
  for (let i = 0; i < 256; i++) sender.push(event(n++));
  await nextTurn();
  t.equal(closed.count, 0, 'over its bound, not yet for the grace: still open');

  await new Promise((resolve) => setTimeout(resolve, limits.behindGraceMs + 100));
  t.equal(closed.count, 0, 'no event came, so nothing piled up: still open');
  sender.push(event(n++));
  t.equal(closed.count, 1, 'the next event closes it, as it is queued');
  sender.push(event(n++));
  t.equal(closed.count, 1, 'once');
});

t.test('a watcher that reads is never closed by the soft bound, however far each burst puts it behind', async (t) => {
  const { sender, closed, received } = await watchConnection(t, limits, true);
  let sent = 0;
  const started = Date.now();
  // Bursts of 40 events (over 640 KiB, ten times the bound), for three times the grace.
  while (Date.now() - started < 3 * limits.behindGraceMs) {
    for (let i = 0; i < 40; i++) sender.push(event(sent++));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const deadline = Date.now() + 10_000;
  while (received.events < sent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(closed.count, 0, `never closed (${sent} events)`);
  t.equal(received.events, sent, 'the client got every event');
});

t.test('a watcher this far behind is closed at once, reading or not', async (t) => {
  const { sender, closed } = await watchConnection(t, { ...limits, hardMaxBufferedEvents: 50 }, true);
  for (let n = 0; n < 50; n++) sender.push(event(n));
  t.equal(closed.count, 0, 'at the hard bound: open');
  sender.push(event(50));
  t.equal(closed.count, 1, 'one event past it, in the same burst: closed');
});
