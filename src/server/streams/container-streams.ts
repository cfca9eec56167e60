/**
 * pods/exec and pods/attach upgrades, as kube-apiserver serves them to
 * kubectl 1.32: authorization (`create` on the subresource too, for WebSocket
 * GETs: AuthorizePodWebsocketUpgradeCreatePermission), the node's validation
 * answered before the upgrade as plain HTTP errors, then the WebSocket stream
 * protocol (v5.channel.k8s.io, or v4): each binary message is a channel byte
 * and data, 0 stdin, 1 stdout, 2 stderr, 3 the final Status (JSON), 4 resize,
 * 255 (v5) a stream's close. SPDY/3.1 is not served: kubectl uses WebSockets
 * and falls back to SPDY only when the WebSocket upgrade fails.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { asStatusError, badRequest, internalError, type Status } from '../../api/errors.js';
import type { ContainerStream, ContainerStreamIO, ContainerStreamRequest } from '../../api/extension-points.js';
import type { UserInfo } from '../../auth/user.js';
import { requestAttributes } from '../../auth/authorization/request-attributes.js';
import { authorizeUpgrade } from '../authorization.js';
import { rejectUpgrade } from './upgrade-response.js';
import type { ApiServerParts } from '../parts.js';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;
const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/;
const truthy = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);

const websockets = new WebSocketServer({ noServer: true, handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false });

/** Handles the upgrade if it is for pods/exec or pods/attach; false leaves it to the aggregator. */
export function upgradeContainerStream(parts: ApiServerParts, req: IncomingMessage, user: UserInfo, socket: Duplex, head: Buffer): boolean {
  const [path, query = ''] = (req.url ?? '/').split('?');
  const match = STREAM_PATH.exec(path);
  if (!match) return false;
  void accept(parts, req, user, socket, head, streamRequest(match, new URLSearchParams(query))).catch((err: unknown) => {
    const status = asStatusError(err);
    rejectUpgrade(socket, status.code, 'application/json', JSON.stringify(status.toStatus()));
  });
  return true;
}

async function accept(
  parts: ApiServerParts,
  req: IncomingMessage,
  user: UserInfo,
  socket: Duplex,
  head: Buffer,
  request: ContainerStreamRequest,
): Promise<void> {
  const effective = authorizeUpgrade(parts, req, user);
  const isWebSocket = req.headers.upgrade?.toLowerCase() === 'websocket';
  // A WebSocket GET opens a stream as a POST (create) would, so it needs create too.
  if (req.method === 'GET') parts.authorizer.check(effective, requestAttributes('POST', req.url ?? '/'));
  if (!request.stdin && !request.stdout && !request.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (!parts.containerStreams) throw internalError('no node serves container streams');
  const stream = await parts.containerStreams(request);
  if (!isWebSocket) {
    throw badRequest(`${request.subresource} is served over WebSocket (${PROTOCOLS.join(', ')}); SPDY/3.1 is not implemented`);
  }
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  if (!PROTOCOLS.some((p) => offered.includes(p))) {
    throw badRequest(`requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${PROTOCOLS.join(' ')}]`);
  }
  websockets.handleUpgrade(req, socket, head, (ws) => serve(ws, request, stream));
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

function serve(ws: WebSocket, request: ContainerStreamRequest, stream: ContainerStream): void {
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const stdinListeners: Array<(data: Buffer | undefined) => void> = [];
  const resizeListeners: Array<(size: { width: number; height: number }) => void> = [];
  const hangUpListeners: Array<() => void> = [];
  ws.on('message', (message: Buffer) => {
    const channel = message[0];
    const data = message.subarray(1);
    if (channel === Channel.Stdin && request.stdin) for (const listener of stdinListeners) listener(data);
    else if (channel === Channel.Close && data[0] === Channel.Stdin) for (const listener of stdinListeners) listener(undefined);
    else if (channel === Channel.Resize) {
      const size = parseSize(data);
      if (size) for (const listener of resizeListeners) listener(size);
    }
  });
  ws.on('close', () => {
    for (const listener of hangUpListeners) listener();
  });
  ws.on('error', () => ws.terminate());
  const io: ContainerStreamIO = {
    // With a TTY there is one output stream, as a terminal has.
    stdout: (data) => request.stdout && send(Channel.Stdout, data),
    stderr: (data) => (request.tty ? request.stdout && send(Channel.Stdout, data) : request.stderr && send(Channel.Stderr, data)),
    onStdin: (listener) => stdinListeners.push(listener),
    onResize: (listener) => resizeListeners.push(listener),
    onHangUp: (listener) => hangUpListeners.push(listener),
  };
  stream.run(io).then(
    (exitCode) => finish(ws, exitCode === 0 ? { metadata: {}, status: 'Success' } : exitStatus(exitCode)),
    (err: unknown) => finish(ws, internalError((err as Error).message).toStatus()),
  );
}

const parseSize = (data: Buffer): { width: number; height: number } | undefined => {
  try {
    const size = JSON.parse(data.toString('utf8')) as { Width?: number; Height?: number };
    return { width: Number(size.Width ?? 0), height: Number(size.Height ?? 0) };
  } catch {
    return undefined;
  }
};

/** The Status the kubelet (and the API server's stream translator) report for a non-zero exit. */
function exitStatus(exitCode: number): Partial<Status> {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command terminated with exit code ${exitCode}`,
    reason: 'NonZeroExitCode' as Status['reason'],
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

function finish(ws: WebSocket, status: Partial<Status>): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(Buffer.concat([Buffer.from([Channel.Error]), Buffer.from(JSON.stringify(status))]));
  ws.close(1000);
}
