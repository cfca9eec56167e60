/**
 * The simulated Kubernetes under the API: kubelets and node lifecycle, the
 * scheduler, and kube-controller-manager's controllers. They are always on
 * (unless a fault stops one) and reach the cluster only through the client.
 */
import type { Client } from '../client/client.js';
import type { Clock } from '../runtime/clock.js';
import { ComponentManager } from '../runtime/component.js';
import { SharedInformerFactory } from '../runtime/informer.js';
import { consoleLogger, silentLogger } from '../runtime/logger.js';
import type { SeededRandom } from '../runtime/seeded-random.js';
import type { ApiServerParts } from '../server/parts.js';
import type { SimulationProfile } from '../simulation/profile.js';
import { asController, asIdentity, type ClusterContext } from './context.js';
import { clusterRoleAggregationController } from '../auth/rbac/aggregation-controller.js';
import { CLUSTER_ROLE_REF, type RoleObject } from '../auth/rbac/types.js';
import type { ComponentIdentity } from '../auth/identities.js';
import { nodeComponents } from './nodes/index.js';
import { schedulingComponents } from './scheduling/index.js';
import { workloadComponents, type WorkloadOptions } from './workloads/index.js';
import { kubevirtOperatorComponents } from '../kubevirt/operator/index.js';
import { virtHandlerComponents } from '../kubevirt/handler/index.js';
import { virtControllerComponents } from '../kubevirt/controller/index.js';
import { faultComponents } from '../simulation/faults.js';

export interface ControlPlaneOptions {
  client: Client;
  /** The client acting as a component's own identity (src/auth/identities.ts). */
  clientFor: (identity: ComponentIdentity) => Client;
  clock: Clock;
  parts: ApiServerParts;
  workers: number;
  random: SeededRandom;
  profile: SimulationProfile;
  verbose?: boolean;
  workloads?: WorkloadOptions;
}

export interface ControlPlane {
  context: ClusterContext;
  stop(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const logger = options.verbose ? consoleLogger('cluster') : silentLogger;
  const informers = new SharedInformerFactory(options.client, { clock: options.clock, logger });
  const context: ClusterContext = {
    client: options.client,
    informers,
    clock: options.clock,
    random: options.random,
    profile: options.profile,
    logger,
    workers: options.workers,
    serveSubresource: (key, handler) => options.parts.subresources.set(key, handler),
    clientFor: options.clientFor,
  };
  const manager = new ComponentManager(logger);
  // KubeVirt's components write as their own service accounts, as on a cluster (virt-api tells them apart).
  const as = (component: 'virt-operator' | 'virt-controller' | 'virt-handler'): ClusterContext => asIdentity(context, { component, namespace: 'kubevirt' });
  const components = [
    ...nodeComponents(context),
    ...schedulingComponents(context),
    ...workloadComponents(context, options.workloads),
    // virt-operator runs as its Deployment's pods do; its components gate themselves on that.
    ...kubevirtOperatorComponents(as('virt-operator')),
    // virt-controller runs while its Deployment has a ready pod; virt-handler acts on a node while its DaemonSet pod runs there.
    ...virtControllerComponents(as('virt-controller')),
    ...virtHandlerComponents(as('virt-handler')),
    clusterRoleAggregationController({
      ...asController(context, 'clusterrole-aggregation-controller'),
      clusterRoles: informers.informerFor<RoleObject>(CLUSTER_ROLE_REF),
    }),
    // The emulator's own Fault objects (emulator.kubevirt.io/v1alpha1), acted on through the fault APIs.
    ...faultComponents(asIdentity(context, { component: 'kube-apiserver' })),
  ];
  for (const component of components) manager.add(component);
  // Started first: informers components ask for later start at once, so no component waits on an idle one.
  informers.start();
  await manager.start();
  return {
    context,
    async stop() {
      await manager.stop();
      informers.stop();
    },
  };
}
