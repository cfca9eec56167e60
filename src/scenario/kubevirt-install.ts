/**
 * `setup.kubevirt`: KubeVirt installed the way its documentation says, from
 * the release manifests (schemas/kubevirt/manifests): the operator, then the
 * KubeVirt CR (with the scenario's feature gates), then wait until the
 * KubeVirt CR reports Available.
 */
import type { KubeObject } from '../api/types.js';
import { releaseManifest } from '../kubevirt/install.js';
import type { StepContext } from './steps.js';
import { stepExecutors } from './steps.js';

const INSTALL_TIMEOUT = '10m';

function withFeatureGates(cr: KubeObject, featureGates: string[]): KubeObject {
  const spec = (cr.spec ?? {}) as { configuration?: { developerConfiguration?: Record<string, unknown> } };
  const configuration = { ...spec.configuration, developerConfiguration: { ...spec.configuration?.developerConfiguration, featureGates } };
  return { ...cr, spec: { ...spec, configuration } };
}

export async function installKubeVirt(ctx: StepContext, featureGates: string[] = []): Promise<void> {
  for (const obj of releaseManifest('kubevirt-operator.yaml')) await ctx.api.apply(obj, undefined);
  await stepExecutors.wait(ctx, { object: 'customresourcedefinitions/kubevirts.kubevirt.io', condition: 'Established', timeout: '1m' });
  for (const cr of releaseManifest('kubevirt-cr.yaml')) await ctx.api.apply(withFeatureGates(cr, featureGates), undefined);
  await stepExecutors.wait(ctx, { object: 'kubevirts/kubevirt', namespace: 'kubevirt', condition: 'Available', timeout: INSTALL_TIMEOUT });
}
