/**
 * The simulated virt-operator. It runs while the virt-operator Deployment
 * has a ready pod (a Gate), and then reconciles KubeVirt CRs: every change
 * of a CR, of an operand or of an operand pod brings the CRs back to the
 * work queue.
 */
import type { KubeObject } from '../../api/types.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { isPodReady, type Pod } from '../../kube/pods.js';
import { Gate, type Component } from '../../runtime/component.js';
import { Controller } from '../../runtime/controller.js';
import { objectKey } from '../../runtime/informer.js';
import type { KubeVirt } from './kubevirt-status.js';
import { ManagedCache } from './apply/managed-cache.js';
import { ObjectApplier } from './apply/object-applier.js';
import { KubeVirtReconciler } from './reconciler.js';
import { DEPLOYMENT_REF, KUBEVIRT_REF, NODE_REF, OPERATOR_SELECTOR, POD_REF, SCHEDULABLE_SELECTOR } from './refs.js';

/** A virt-operator pod is one of the Deployment's, Ready; the Deployment's pods carry its name as a prefix. */
export function operatorHasReadyPod(deployments: readonly KubeObject[], pods: readonly Pod[]): boolean {
  return deployments.some((deployment) =>
    pods.some(
      (pod) =>
        pod.metadata.namespace === deployment.metadata.namespace &&
        (pod.metadata.name ?? '').startsWith(`${deployment.metadata.name ?? ''}-`) &&
        !pod.metadata.deletionTimestamp &&
        isPodReady(pod),
    ),
  );
}

function operatorController(ctx: ComponentContext): Component {
  const kubevirts = ctx.informers.informerFor<KubeVirt>(KUBEVIRT_REF);
  const operatorPods = ctx.informers.informerFor<Pod>(POD_REF, { labelSelector: OPERATOR_SELECTOR });
  const schedulableNodes = ctx.informers.informerFor(NODE_REF, { labelSelector: SCHEDULABLE_SELECTOR });
  const cache = new ManagedCache(ctx.informers);
  const reconciler = new KubeVirtReconciler({
    client: ctx.client,
    clock: ctx.clock,
    applier: new ObjectApplier(ctx.client),
    cache,
    kubevirts,
    operatorPods,
    schedulableNodes,
  });
  const controller = new Controller({
    name: 'virt-operator',
    clock: ctx.clock,
    logger: ctx.logger,
    reconcile: (key) => reconciler.reconcile(key),
  });
  const everyKubeVirt = (): string[] => kubevirts.list().map(objectKey);
  // A CR coming or going changes the verdict for every other one (checkForActiveInstall).
  controller.watch(kubevirts, (kv) => [objectKey(kv), ...everyKubeVirt()]);
  // A new leader (another operator version) retargets every CR.
  for (const informer of [operatorPods, ...cache.all()]) controller.watch(informer, everyKubeVirt);
  // Only how many nodes are schedulable matters (virt-api's replicas): virt-handler's heartbeat on a node changes nothing.
  controller.watchChanges(schedulableNodes, (old, cur) => (old && cur ? [] : everyKubeVirt()));
  return controller;
}

export function kubevirtOperatorComponents(ctx: ComponentContext): Component[] {
  const deployments = ctx.informers.informerFor(DEPLOYMENT_REF, { labelSelector: OPERATOR_SELECTOR });
  const pods = ctx.informers.informerFor<Pod>(POD_REF, { labelSelector: OPERATOR_SELECTOR });
  return [
    new Gate({
      name: 'virt-operator',
      informers: [deployments, pods],
      condition: () => operatorHasReadyPod(deployments.list(), pods.list()),
      createChild: () => operatorController(ctx),
      logger: ctx.logger,
    }),
  ];
}
