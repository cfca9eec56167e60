/**
 * What every simulated component is given, whichever system it belongs to
 * (the cluster's kubelets and controllers, KubeVirt's operator, controllers
 * and handler, the emulator's fault controller): a client (its only way to
 * the cluster state), shared informers, the clock, seeded randomness, the
 * simulation profile, a logger, and the hook to serve subresources that
 * belong to a component (pods/log from kubelets, pods/eviction, pods/binding),
 * and the clients of the components' own identities (src/auth/identities.ts).
 * The assembly point (src/emulator.ts) builds it; components never build
 * each other's.
 */
import type { ComponentIdentity, ControllerName } from '../auth/identities.js';
import type { Client } from '../client/client.js';
import type { ContainerStreamHandler, PortForwardHandler, SubresourceHandler } from '../api/extension-points.js';
import type { SimulationProfile } from '../simulation/profile.js';
import type { Clock } from './clock.js';
import type { SharedInformerFactory } from './informer.js';
import type { PodPorts } from './pod-ports.js';
import type { Logger } from './logger.js';
import type { SeededRandom } from './seeded-random.js';

export interface ComponentContext {
  client: Client;
  informers: SharedInformerFactory;
  clock: Clock;
  random: SeededRandom;
  profile: SimulationProfile;
  logger: Logger;
  /** Serves `<group>/<plural>/<subresource>` (e.g. "/pods/log") with the given handler. */
  serveSubresource(key: string, handler: SubresourceHandler): void;
  /** Serves pods/exec and pods/attach streams (the kubelets'; absent in harnesses without an HTTP server). */
  serveContainerStreams?(handler: ContainerStreamHandler): void;
  /** Serves pods/portforward streams (the kubelets'; absent in harnesses without an HTTP server). */
  servePortForward?(handler: PortForwardHandler): void;
  /** The servers on pods' ports, which port-forward reaches (absent in harnesses). */
  podPorts?: PodPorts;
  /** The client acting as a component's own identity (absent in harnesses that run everything as one client). */
  clientFor?(identity: ComponentIdentity): Client;
}

/** The context with the client of `identity`, so the component's writes are authorized as that identity's. */
export const asIdentity = (ctx: ComponentContext, identity: ComponentIdentity): ComponentContext =>
  ctx.clientFor ? { ...ctx, client: ctx.clientFor(identity) } : ctx;

/** A kube-controller-manager controller's context, under its kube-system ServiceAccount. */
export const asController = (ctx: ComponentContext, controller: ControllerName): ComponentContext =>
  asIdentity(ctx, { component: 'controller', controller });
