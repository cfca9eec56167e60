/**
 * pods/portforward upgrades, as kube-apiserver serves them to kubectl 1.32:
 * authorization (`create` on the subresource too, for WebSocket GETs), the
 * pod's checks answered before the upgrade, then the portforward.k8s.io
 * protocol over SPDY: per forwarded connection the client opens an `error`
 * and a `data` stream with the same `requestID` and `port` headers; the data
 * stream carries the connection's bytes both ways, and a failure to reach the
 * port is written on the error stream, both then closed (the kubelet's
 * httpstream handler). kubectl 1.32 (PortForwardWebsockets, on by default)
 * first asks for a WebSocket with subprotocol SPDY/3.1+portforward.k8s.io and
 * tunnels those SPDY frames in binary messages; it falls back to a plain
 * SPDY/3.1 upgrade if that is refused. Both are served.
 */
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { badRequest, internalError } from '../../api/errors.js';
import type { PodPortForward } from '../../api/extension-points.js';
import type { UserInfo } from '../../auth/user.js';
import type { ApiServerParts } from '../parts.js';
import { SpdyConnection } from './spdy-connection.js';
import { offeredStreamProtocols, switchToSpdy } from './spdy.js';
import { lazyWebSocketServer, loadWs } from './lazy-websockets.js';
import { offeredWebSocketProtocols, upgradePodSubresource } from './pod-upgrade.js';

const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** The WebSocket subprotocol that tunnels SPDY (k8s.io/apimachinery's WebsocketsSPDYTunnelingPortForwardV1). */
const TUNNELING_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
const PORT_FORWARD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/;

const websockets = lazyWebSocketServer({
  noServer: true,
  handleProtocols: (offered) => (offered.has(TUNNELING_PROTOCOL) ? TUNNELING_PROTOCOL : false),
});

/** Handles the upgrade if it is for pods/portforward; false leaves it to the next handler. */
export function upgradePortForward(parts: ApiServerParts, req: IncomingMessage, user: UserInfo, socket: Duplex, head: Buffer): boolean {
  return upgradePodSubresource(parts, req, user, socket, PORT_FORWARD_PATH, (match) =>
    accept(parts, req, socket, head, { namespace: decodeURIComponent(match[1]), pod: decodeURIComponent(match[2]) }),
  );
}

async function accept(
  parts: ApiServerParts,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  request: { namespace: string; pod: string },
): Promise<void> {
  if (!parts.portForward) throw internalError('no node serves port-forward');
  const forward = await parts.portForward(request);
  if (req.headers.upgrade?.toLowerCase() === 'websocket') {
    const offered = offeredWebSocketProtocols(req);
    if (!offered.includes(TUNNELING_PROTOCOL)) {
      throw badRequest(`requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${TUNNELING_PROTOCOL}]`);
    }
    const [server, { createWebSocketStream }] = await Promise.all([websockets(), loadWs()]);
    server.handleUpgrade(req, socket, head, (ws) => {
      const tunnel = createWebSocketStream(ws);
      tunnel.on('error', () => tunnel.destroy());
      new PortForwardSession(tunnel, forward);
    });
    return;
  }
  if (req.headers.upgrade?.toLowerCase() !== 'spdy/3.1') throw badRequest(`unsupported upgrade: ${req.headers.upgrade}`);
  const offeredSpdy = offeredStreamProtocols(req);
  if (!offeredSpdy.includes(PORT_FORWARD_PROTOCOL)) {
    throw badRequest(
      `unable to negotiate protocol: client supports [${offeredSpdy.join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]`,
    );
  }
  switchToSpdy(socket, PORT_FORWARD_PROTOCOL);
  new PortForwardSession(socket, forward).connection.receive(head);
}

/** One forwarded connection: its two SPDY streams and, once both are open, the stream to the pod's server. */
interface ForwardedPair {
  port: number;
  errorStream?: number;
  dataStream?: number;
  started?: boolean;
  /** The pod server's side of the connection, once it accepted one. */
  toServer?: Duplex;
}

class PortForwardSession {
  readonly connection: SpdyConnection;
  private readonly pairs = new Map<string, ForwardedPair>();
  private readonly byStream = new Map<number, ForwardedPair>();

  constructor(
    socket: Duplex,
    private readonly forward: PodPortForward,
  ) {
    this.connection = new SpdyConnection(socket, {
      opened: (id, headers) => this.opened(id, headers),
      data: (id, data, fin) => this.data(id, data, fin),
      reset: (id) => this.byStream.get(id)?.toServer?.destroy(),
      closed: () => {
        for (const pair of this.pairs.values()) pair.toServer?.destroy();
      },
    });
  }

  private opened(id: number, headers: Map<string, string>): void {
    const requestId = headers.get('requestid') ?? '';
    const pair = this.pairs.get(requestId) ?? { port: Number(headers.get('port')) };
    this.pairs.set(requestId, pair);
    this.byStream.set(id, pair);
    if (headers.get('streamtype') === 'error') pair.errorStream = id;
    else if (headers.get('streamtype') === 'data') pair.dataStream = id;
    if (pair.errorStream !== undefined && pair.dataStream !== undefined && !pair.started) this.start(requestId, pair);
  }

  /** Dials the port; the data stream then carries the connection, and closing it closes both streams. */
  private start(requestId: string, pair: ForwardedPair): void {
    const [errorStream, dataStream] = [pair.errorStream!, pair.dataStream!];
    pair.started = true;
    const finish = () => {
      this.connection.write(dataStream, Buffer.alloc(0), true);
      this.connection.write(errorStream, Buffer.alloc(0), true);
      this.pairs.delete(requestId);
      this.byStream.delete(errorStream);
      this.byStream.delete(dataStream);
    };
    let server: (stream: Duplex) => void;
    try {
      server = this.forward.connect(pair.port);
    } catch (err) {
      this.connection.write(errorStream, Buffer.from((err as Error).message));
      return finish();
    }
    const toServer = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, done) => {
        this.connection.write(dataStream, chunk);
        done();
      },
      final: (done) => {
        finish();
        done();
      },
    });
    toServer.on('error', () => toServer.destroy());
    pair.toServer = toServer;
    server(toServer);
  }

  private data(id: number, data: Buffer, fin: boolean): void {
    const pair = this.byStream.get(id);
    if (!pair?.toServer || id !== pair.dataStream) return;
    if (data.length) pair.toServer.push(data);
    if (fin) pair.toServer.push(null);
  }
}
