/**
 * What every simulated cluster component is given: a client (its only way to
 * the cluster state), shared informers, the clock, seeded randomness, the
 * simulation profile, and the hook to serve subresources that belong to a
 * component (pods/log from kubelets, pods/eviction, pods/binding, ...).
 */
import type { Client } from '../client/client.js';
import type { Clock } from './clock.js';
import type { SharedInformerFactory } from './informer.js';
import type { Logger } from './logger.js';
import type { SeededRandom } from './seeded-random.js';
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
}
