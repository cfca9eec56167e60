/**
 * Go's ReadHeaderTimeout and IdleTimeout for HTTP/1.1 connections on the TLS
 * port. Node's HTTP/2 server takes HTTP/1.1 clients (allowHTTP1) through a
 * compatibility path that has neither a header nor a keep-alive timeout of
 * its own (http.Server's are not applied there), so a client that trickles
 * its headers, or opens a connection and says nothing after the handshake,
 * would be held forever. Here a connection's request headers must all arrive
 * within 32 s of the handshake, and a kept-alive connection is closed after
 * 90 s without a request (a later request's headers then get those 90 s,
 * where Go would give 32 from its first byte). Upgraded connections
 * (WebSocket streams) and HTTP/2 are left alone; HTTP/2 sessions have their
 * own idle timeout.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import { connectionLimits } from './limits.js';

interface Deadline {
  arm(ms: number): void;
  disarm(): void;
}

export function enforceHttp1Deadlines(server: Http2SecureServer, wallClock: Clock, limits = connectionLimits): void {
  const deadlines = new WeakMap<Duplex, Deadline>();
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    let timer: TimerHandle | undefined;
    const disarm = () => {
      if (timer) wallClock.clearTimeout(timer);
      timer = undefined;
    };
    const deadline = {
      arm: (ms: number) => {
        disarm();
        timer = wallClock.setTimeout(() => socket.destroy(), ms);
      },
      disarm,
    };
    deadlines.set(socket, deadline);
    deadline.arm(limits.readHeaderTimeoutMs);
    socket.once('close', disarm);
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersionMajor !== 1) return;
    const deadline = deadlines.get(req.socket);
    if (!deadline) return;
    deadline.disarm();
    // Once the answer is out the connection is idle until the client's next request.
    res.once('finish', () => deadline.arm(limits.idleTimeoutMs));
  });
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => deadlines.get(socket)?.disarm());
}
