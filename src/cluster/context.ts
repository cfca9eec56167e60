/**
 * What every simulated cluster component is given: a client (its only way to
 * the cluster state), shared informers, the clock, seeded randomness, the
 * simulation profile, and the hook to serve subresources that belong to a
 * component (pods/log from kubelets, pods/eviction, pods/binding, ...).
 */
import type { ComponentIdentity, ControllerName } from '../auth/identities.js';
import type { Client } from '../client/client.js';
import type { Clock } from '../runtime/clock.js';
import type { SharedInformerFactory } from '../runtime/informer.js';
import type { Logger } from '../runtime/logger.js';
import type { SeededRandom } from '../runtime/seeded-random.js';
import type { SubresourceHandler } from '../server/parts.js';
import type { SimulationProfile } from '../simulation/profile.js';

export interface ClusterContext {
  client: Client;
  informers: SharedInformerFactory;
  clock: Clock;
  random: SeededRandom;
  profile: SimulationProfile;
  logger: Logger;
  /** Number of worker nodes to create beside the control-plane node at start. */
  workers: number;
  /** Serves `<group>/<plural>/<subresource>` (e.g. "/pods/log") with the given handler. */
  serveSubresource(key: string, handler: SubresourceHandler): void;
  /** The client acting as a component's own identity (absent in harnesses that run everything as one client). */
  clientFor?(identity: ComponentIdentity): Client;
}

/** The context with the client of `identity`, so the component's writes are authorized as that identity's. */
export const asIdentity = (ctx: ClusterContext, identity: ComponentIdentity): ClusterContext =>
  ctx.clientFor ? { ...ctx, client: ctx.clientFor(identity) } : ctx;

/** A kube-controller-manager controller's context, under its kube-system ServiceAccount. */
export const asController = (ctx: ClusterContext, controller: ControllerName): ClusterContext =>
  asIdentity(ctx, { component: 'controller', controller });
