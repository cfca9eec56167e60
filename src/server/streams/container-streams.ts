/**
 * pods/exec and pods/attach upgrades, as kube-apiserver serves them to
 * kubectl 1.32: authorization (`create` on the subresource too, for WebSocket
 * GETs: AuthorizePodWebsocketUpgradeCreatePermission), the node's validation
 * answered before the upgrade as plain HTTP errors, then the WebSocket stream
 * protocol (v5.channel.k8s.io, or v4): each binary message is a channel byte
 * and data, 0 stdin, 1 stdout, 2 stderr, 3 the final Status (JSON), 4 resize,
 * 255 (v5) a stream's close; or SPDY/3.1 (spdy.ts), which kubectl 1.32 uses
 * only when the WebSocket upgrade fails or KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { badRequest, internalError } from '../../api/errors.js';
import type { ContainerStream, ContainerStreamRequest } from '../../api/extension-points.js';
import { runContainerStream } from './stream-session.js';
import { SPDY_PROTOCOL, offeredStreamProtocols, serveSpdy } from './spdy.js';
import type { UserInfo } from '../../auth/user.js';
import { lazyWebSocketServer } from './lazy-websockets.js';
import { offeredWebSocketProtocols, upgradePodSubresource } from './pod-upgrade.js';
import type { ApiServerParts } from '../parts.js';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;
const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/;
const truthy = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);

const websockets = lazyWebSocketServer({ noServer: true, handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false });

/** Handles the upgrade if it is for pods/exec or pods/attach; false leaves it to the aggregator. */
export function upgradeContainerStream(parts: ApiServerParts, req: IncomingMessage, user: UserInfo, socket: Duplex, head: Buffer): boolean {
  return upgradePodSubresource(parts, req, user, socket, STREAM_PATH, (match, query) =>
    accept(parts, req, socket, head, streamRequest(match, query)),
  );
}

async function accept(
  parts: ApiServerParts,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  request: ContainerStreamRequest,
): Promise<void> {
  const isWebSocket = req.headers.upgrade?.toLowerCase() === 'websocket';
  if (!request.stdin && !request.stdout && !request.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (!parts.containerStreams) throw internalError('no node serves container streams');
  const stream = await parts.containerStreams(request);
  if (!isWebSocket) {
    if (req.headers.upgrade?.toLowerCase() !== 'spdy/3.1') throw badRequest(`unsupported upgrade: ${req.headers.upgrade}`);
    const offeredSpdy = offeredStreamProtocols(req);
    if (!offeredSpdy.includes(SPDY_PROTOCOL)) {
      throw badRequest(`unable to negotiate protocol: client supports [${offeredSpdy.join(' ')}], server supports [${SPDY_PROTOCOL}]`);
    }
    return serveSpdy(socket, head, request, stream);
  }
  const offered = offeredWebSocketProtocols(req);
  if (!PROTOCOLS.some((p) => offered.includes(p))) {
    throw badRequest(`requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${PROTOCOLS.join(' ')}]`);
  }
  (await websockets()).handleUpgrade(req, socket, head, (ws) => serve(ws, request, stream));
}

function streamRequest(match: RegExpExecArray, query: URLSearchParams): ContainerStreamRequest {
  const flag = (name: string) => truthy.has(query.get(name) ?? '');
  return {
    subresource: match[3] as 'exec' | 'attach',
    namespace: decodeURIComponent(match[1]),
    pod: decodeURIComponent(match[2]),
    container: query.get('container') ?? '',
    command: query.getAll('command'),
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
  };
}

/** The WebSocket channel protocol: a channel byte, then data. */
function serve(ws: WebSocket, request: ContainerStreamRequest, stream: ContainerStream): void {
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const input = runContainerStream(request, stream, {
    write: (name, data) => send(name === 'stdout' ? Channel.Stdout : Channel.Stderr, data),
    finish(status) {
      send(Channel.Error, Buffer.from(JSON.stringify(status)));
      if (ws.readyState === ws.OPEN) ws.close(1000);
    },
  });
  ws.on('message', (message: Buffer) => {
    const data = message.subarray(1);
    if (message[0] === Channel.Stdin) input.stdin(data);
    else if (message[0] === Channel.Close && data[0] === Channel.Stdin) input.stdin(undefined);
    else if (message[0] === Channel.Resize) input.resize(data);
  });
  ws.on('close', () => input.hangUp());
  ws.on('error', () => ws.terminate());
}
