/**
 * What CDI's operator reports once it has deployed CDI (pkg/operator/controller,
 * CDI v1.64.0): the CDI CR `Deployed` with Available=True, Progressing=False and
 * Degraded=False and its versions, and the CDIConfig status the config controller
 * fills (scratch space class and filesystem overhead per class, the importer pods'
 * default resources). Users and KubeVirt's tests wait on these
 * (`kubectl wait cdi cdi --for condition=Available`). Neither CRD has a status
 * subresource (crds_generated.go), so the status is written with the object, as
 * CDI's operator and config controller update them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../api/types.js';
import type { StorageClass } from '../kube/volumes.js';
import { rfc3339 } from '../runtime/clock.js';
import type { ComponentContext } from '../runtime/component-context.js';
import { Controller } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import { defaultClass } from './datavolume-claim.js';

export const CDI_VERSION = 'v1.64.0';
/** CDI's default filesystem overhead (common.DefaultGlobalOverhead). */
const FILESYSTEM_OVERHEAD = '0.06';

export function cdiStatusController(
  ctx: ComponentContext,
  informers: { cdis: Informer; configs: Informer; classes: Informer<StorageClass> },
): Controller {
  const { cdis, configs, classes } = informers;

  function cdiStatus(cdi: KubeObject): Record<string, unknown> {
    const previous = (cdi.status ?? {}) as { conditions?: Array<{ type: string; lastTransitionTime?: string }> };
    const now = rfc3339(ctx.clock.now());
    const condition = (type: string, status: string, reason?: string, message?: string) => {
      const since = previous.conditions?.find((c) => c.type === type)?.lastTransitionTime ?? now;
      return { type, status, lastHeartbeatTime: since, lastTransitionTime: since, ...(reason && { reason, message }) };
    };
    return {
      phase: 'Deployed',
      // controller-lifecycle-operator-sdk MarkCrHealthyMessage(cr, status, "DeployCompleted", "Deployment Completed").
      conditions: [
        condition('Available', 'True', 'DeployCompleted', 'Deployment Completed'),
        condition('Progressing', 'False'),
        condition('Degraded', 'False'),
      ],
      observedVersion: CDI_VERSION,
      operatorVersion: CDI_VERSION,
      targetVersion: CDI_VERSION,
    };
  }

  function configStatus(): Record<string, unknown> {
    const overheads = Object.fromEntries(classes.list().map((c) => [c.metadata.name ?? '', FILESYSTEM_OVERHEAD]));
    const scratch = defaultClass(classes.list())?.metadata.name;
    return {
      defaultPodResourceRequirements: {
        limits: { cpu: '750m', memory: '600M' },
        requests: { cpu: '100m', memory: '60M' },
      },
      filesystemOverhead: { global: FILESYSTEM_OVERHEAD, storageClass: overheads },
      importProxy: { HTTPProxy: '', HTTPSProxy: '', noProxy: '', trustedCAProxy: '' },
      ...(scratch !== undefined && { scratchSpaceStorageClass: scratch }),
    };
  }

  /** A conflict (a user edited the object meanwhile) fails the reconcile, which is retried on the fresh object. */
  async function writeWithObject(object: KubeObject, status: Record<string, unknown>): Promise<void> {
    if (!isDeepStrictEqual(object.status, status)) await ctx.client.update({ ...object, status });
  }

  async function reconcile(): Promise<void> {
    for (const cdi of cdis.list()) await writeWithObject(cdi, cdiStatus(cdi));
    for (const config of configs.list()) await writeWithObject(config, configStatus());
  }

  const controller = new Controller({ name: 'cdi/operator-status', clock: ctx.clock, logger: ctx.logger, reconcile });
  const everything = () => ['cdi'];
  controller.watch(cdis, everything);
  controller.watch(configs, everything);
  controller.watch(classes, everything);
  return controller;
}
