/**
 * The extension points the API server offers to components, as plain types:
 * a handler for a subresource a component serves (pods/log, pods/binding,
 * pods/eviction, serviceaccounts/token) and the in-process server behind an
 * aggregated APIService (virt-api's subresources.kubevirt.io). They live here,
 * not in server/, so that the cluster simulation and KubeVirt implement them
 * without depending on the HTTP layer.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { UserInfo } from '../auth/user.js';
import type { RequestContext } from './registry/context.js';
import type { KubeObject, ResourceType } from './types.js';

export interface SubresourceCall {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  method: string;
  query: Record<string, string | undefined>;
  body: unknown;
  ctx: RequestContext;
  reply: FastifyReply;
  /** Runs admission (webhooks included) on the body as a CREATE of this subresource; handlers that act on a request call it first. */
  admit(object: KubeObject): Promise<KubeObject>;
}

/** Serves a subresource such as pods/log or pods/eviction; returns the response body (or the hijacked reply). */
export type SubresourceHandler = (call: SubresourceCall) => Promise<unknown>;

export interface BackendRequest {
  method: string;
  /** The request path as the client sent it, e.g. /apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/vm1/start. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Undefined when the request had no body. */
  body: Buffer | undefined;
  /** Who sent it, as the aggregator tells a backend (kube's X-Remote-User, -Group and -Extra-* headers). */
  user: UserInfo;
}

export interface BackendResponse {
  status: number;
  /** Absent for an empty body. */
  contentType?: string;
  body?: string | Buffer;
}

/** The server behind an APIService's Service, living in this process. */
export interface AggregatedBackend {
  serve(request: BackendRequest): Promise<BackendResponse>;
  /** An HTTP Upgrade (WebSocket) request; the backend owns the socket from here on. */
  upgrade(request: BackendRequest, socket: Duplex, head: Buffer): void;
}

/** pods/exec and pods/attach as the API server hands them to the node that runs the pod (PodExecOptions, PodAttachOptions). */
export interface ContainerStreamRequest {
  subresource: 'exec' | 'attach';
  namespace: string;
  pod: string;
  /** The `container` parameter; empty when the client left the choice to the server. */
  container: string;
  /** exec's `command` parameters, in order. */
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The streams of a running exec or attach, whatever the transport (WebSocket channels or SPDY streams). */
export interface ContainerStreamIO {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  /** Stdin from the client; `data` undefined is its end (v5's close signal). */
  onStdin(listener: (data: Buffer | undefined) => void): void;
  onResize(listener: (size: { width: number; height: number }) => void): void;
  /** The client went away: the session ends. */
  onHangUp(listener: () => void): void;
}

/** A validated request, ready to run once the transport is upgraded. */
export interface ContainerStream {
  /** Runs to the end: the exit code of an exec'd command (0 for attach); rejects with the node's error (sent as an InternalError). */
  run(io: ContainerStreamIO): Promise<number>;
}

/**
 * Serves pods/exec or pods/attach. Resolves before the upgrade, rejecting with
 * the StatusError kube answers there (pod or container not found, no node).
 */
export type ContainerStreamHandler = (request: ContainerStreamRequest) => Promise<ContainerStream>;

/** pods/portforward as the API server hands it to the node that runs the pod. */
export interface PortForwardRequest {
  namespace: string;
  pod: string;
}

/** A pod's TCP server as the kubelet's port-forward reaches it (localhost in the pod's network namespace). */
export type PodPortServer = (stream: Duplex) => void;

/** A validated port-forward: each forwarded connection goes to a port of the pod. */
export interface PodPortForward {
  /** The server on the port; throws an Error worded as the kubelet's when nothing listens there. */
  connect(port: number): PodPortServer;
}

/** Serves pods/portforward; rejects before the upgrade with the StatusError kube answers there (pod not found, no node). */
export type PortForwardHandler = (request: PortForwardRequest) => Promise<PodPortForward>;
