/**
 * The simulated virt-controller. It runs while the `virt-controller`
 * Deployment (deployed by virt-operator) has a ready pod, and then runs the
 * VM, VMI, migration, evacuation, node, VMI replica set, pool, snapshot, restore,
 * clone and export controllers against the API, as the real one does.
 * `virtControllerCore` is the same set of controllers without the gate, for
 * tests that install KubeVirt's CRDs but not its operator.
 */
import type { KubeObject } from '../../api/types.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { isPodReady, type Pod } from '../../kube/pods.js';
import { Gate, type Component } from '../../runtime/component.js';
import { EventRecorder } from '../../runtime/events.js';
import { clusterConfig, type ClusterConfig } from './cluster-config.js';
import { DataVolumeCache } from './datavolume/datavolume-cache.js';
import { ATTACHMENT_SELECTOR } from './hotplug/attachment-pod.js';
import {
  CONTROLLER_REVISION_REF,
  DEPLOYMENT_REF,
  KUBEVIRT_REF,
  NODE_REF,
  POD_REF,
  PVC_REF,
  VIRT_CONTROLLER_SELECTOR,
  VM_REF,
  VMI_REF,
} from './constants.js';
import { LAUNCHER_SELECTOR } from './vmi/launcher-pod-state.js';
import { MigrationController } from './migration/migration-controller.js';
import { EvacuationController } from './evacuation/migration-evacuation.js';
import { VMIM_REF, type Migration } from './migration/migration-types.js';
import { NodeController } from './node/node-controller.js';
import { VmPoolController } from './pool/pool-controller.js';
import { POOL_REF, type VirtualMachinePool } from './pool/pool-vm.js';
import { VmiReplicaSetController, VMIRS_REF, type VirtualMachineInstanceReplicaSet } from './replicaset/replicaset-controller.js';
import { storageControllers } from './snapshot/snapshot-controllers.js';
import type { VirtualMachine, VirtualMachineInstance } from './types.js';
import { VmController } from './vm/vm-controller.js';
import { VmiController } from './vmi/vmi-controller.js';
import { WorkloadUpdater } from './workload-updater/workload-updater.js';

const VIRT_CONTROLLER = 'virt-controller';

/** A ready, not terminating pod of a `virt-controller` Deployment (its pods carry the Deployment name as prefix). */
export function virtControllerHasReadyPod(deployments: readonly KubeObject[], pods: readonly Pod[]): boolean {
  return deployments.some(
    (deployment) =>
      deployment.metadata.name === VIRT_CONTROLLER &&
      pods.some(
        (pod) =>
          pod.metadata.namespace === deployment.metadata.namespace &&
          (pod.metadata.name ?? '').startsWith(`${VIRT_CONTROLLER}-`) &&
          !pod.metadata.deletionTimestamp &&
          isPodReady(pod),
      ),
  );
}

/** The VM, VMI, migration, evacuation and node controllers of virt-controller, ungated. */
export function virtControllerCore(ctx: ComponentContext): Component {
  const deployments = ctx.informers.informerFor(DEPLOYMENT_REF, { labelSelector: VIRT_CONTROLLER_SELECTOR });
  const kubevirts = ctx.informers.informerFor(KUBEVIRT_REF);
  const vms = ctx.informers.informerFor<VirtualMachine>(VM_REF);
  const vmis = ctx.informers.informerFor<VirtualMachineInstance>(VMI_REF);
  const pods = ctx.informers.informerFor<Pod>(POD_REF, { labelSelector: LAUNCHER_SELECTOR });
  const pvcs = ctx.informers.informerFor(PVC_REF);
  const attachmentPods = ctx.informers.informerFor<Pod>(POD_REF, { labelSelector: ATTACHMENT_SELECTOR });
  const nodes = ctx.informers.informerFor(NODE_REF);
  const revisions = ctx.informers.informerFor(CONTROLLER_REVISION_REF);
  const recorder = new EventRecorder(ctx.client, ctx.clock, { component: 'virtualmachine-controller' }, ctx.logger);
  // Read at every sync of every VMI: computed again only when the Deployment or the KubeVirt CR (frozen) is another object.
  let last: { deployment?: KubeObject; kubevirt?: KubeObject; config: ClusterConfig } | undefined;
  const config = (): ClusterConfig => {
    const deployment = deployments.list().find((d) => d.metadata.name === VIRT_CONTROLLER);
    const kubevirt = kubevirts.list()[0];
    if (!last || last.deployment !== deployment || last.kubevirt !== kubevirt)
      last = { deployment, kubevirt, config: clusterConfig(deployment, kubevirt) };
    return last.config;
  };
  const migrations = ctx.informers.informerFor<Migration>(VMIM_REF);
  const kubevirtConfiguration = () =>
    (kubevirts.list()[0]?.spec as { configuration?: { migrations?: Record<string, unknown>; evictionStrategy?: string } } | undefined)
      ?.configuration ?? {};
  const dataVolumes = new DataVolumeCache(ctx);
  const parts: Component[] = [
    dataVolumes,
    new VmController({ ctx, vms, vmis, pvcs, revisions, dataVolumes, recorder, config }),
    new VmiController({ ctx, vmis, vms, pods, pvcs, dataVolumes, recorder, config, controllerDeployments: deployments, attachmentPods }),
    new MigrationController({
      ctx,
      migrations,
      vmis,
      pods,
      recorder,
      config,
      migrationsConfig: () => kubevirtConfiguration().migrations ?? {},
    }),
    new EvacuationController({ ctx, migrations, vmis, recorder, clusterEvictionStrategy: () => kubevirtConfiguration().evictionStrategy }),
    new NodeController({
      ctx,
      nodes,
      vmis,
      pods,
      recorder: new EventRecorder(ctx.client, ctx.clock, { component: 'node-controller' }, ctx.logger),
    }),
    new VmiReplicaSetController({
      ctx,
      replicaSets: ctx.informers.informerFor<VirtualMachineInstanceReplicaSet>(VMIRS_REF),
      vmis,
      recorder: new EventRecorder(ctx.client, ctx.clock, { component: 'virtualmachinereplicaset-controller' }, ctx.logger),
    }),
    new WorkloadUpdater({
      ctx,
      kubevirts,
      vmis,
      migrations,
      pods,
      recorder: new EventRecorder(ctx.client, ctx.clock, { component: 'workload-update-controller' }, ctx.logger),
      launcherImage: () => config().launcherImage,
    }),
    new VmPoolController({
      ctx,
      pools: ctx.informers.informerFor<VirtualMachinePool>(POOL_REF),
      vms,
      revisions,
      vmis,
      recorder: new EventRecorder(ctx.client, ctx.clock, { component: 'virtualmachinepool-controller' }, ctx.logger),
    }),
    ...storageControllers({ ctx, vms, vmis, pvcs, launcherImage: () => config().launcherImage }),
  ];
  return {
    name: VIRT_CONTROLLER,
    async start() {
      for (const part of parts) await part.start();
    },
    async stop() {
      for (const part of [...parts].reverse()) await part.stop();
    },
  };
}

export function virtControllerComponents(ctx: ComponentContext): Component[] {
  const deployments = ctx.informers.informerFor(DEPLOYMENT_REF, { labelSelector: VIRT_CONTROLLER_SELECTOR });
  const pods = ctx.informers.informerFor<Pod>(POD_REF, { labelSelector: VIRT_CONTROLLER_SELECTOR });
  return [
    new Gate({
      name: VIRT_CONTROLLER,
      informers: [deployments, pods],
      condition: () => virtControllerHasReadyPod(deployments.list(), pods.list()),
      createChild: () => virtControllerCore(ctx),
      logger: ctx.logger,
    }),
  ];
}
