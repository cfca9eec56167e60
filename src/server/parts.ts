/** What the HTTP layer serves from: the store, the types, the registry and the extension points components fill. */
import type { GenericRegistry } from '../api/registry/registry.js';
import type { RequestContext } from '../api/registry/context.js';
import type { TypeRegistry } from '../api/type-registry.js';
import type { ContainerStreamHandler, PortForwardHandler, SubresourceHandler } from '../api/extension-points.js';
import type { Clock } from '../runtime/clock.js';
import type { Store } from '../storage/store.js';
import type { Authorizer } from '../auth/authorization/authorizer.js';
import type { OpenApiService } from './openapi/service.js';

// Defined beside the API types so that components serving subresources need not import the HTTP layer.
export type { SubresourceCall, SubresourceHandler } from '../api/extension-points.js';

/** A create-only resource whose POST computes an answer instead of storing (SelfSubjectAccessReview, TokenReview). */
export type VirtualCreate = (body: unknown, ctx: RequestContext, namespace?: string) => Promise<unknown>;

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export interface ApiServerParts {
  store: Store;
  types: TypeRegistry;
  registry: GenericRegistry;
  openapi: OpenApiService;
  /** Simulation time: timestamps, watch timeouts. */
  clock: Clock;
  /** Transport time: keep-alives, which must tick even when the simulation clock stands still. */
  wallClock: Clock;
  /** Keyed by `<storageKey>/<subresource>`. */
  subresources: Map<string, SubresourceHandler>;
  /** Keyed by storageKey. */
  virtualCreates: Map<string, VirtualCreate>;
  version: VersionInfo;
  /** Node and RBAC authorization of every request, HTTP and in-process. */
  authorizer: Authorizer;
  /** pods/exec and pods/attach, served by the nodes' kubelets once registered. */
  containerStreams?: ContainerStreamHandler;
  /** pods/portforward, served by the nodes' kubelets once registered. */
  portForward?: PortForwardHandler;
  /** Closers of open watch streams, so stopping the server ends them. */
  openWatches: Set<() => void>;
}
