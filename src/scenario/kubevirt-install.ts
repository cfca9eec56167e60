/**
 * `setup.kubevirt`: KubeVirt installed the way its documentation says, from
 * the release manifests (schemas/kubevirt/manifests): the operator, then the
 * KubeVirt CR (with the scenario's feature gates), then wait until the
 * KubeVirt CR reports Available.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/types.js';
import type { StepContext } from './steps.js';
import { stepExecutors } from './steps.js';

const MANIFESTS = new URL('../../schemas/kubevirt/manifests/', import.meta.url);
const INSTALL_TIMEOUT = '10m';

const manifest = (file: string): KubeObject[] =>
  parseAllDocuments(readFileSync(new URL(file, MANIFESTS), 'utf8'))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((obj): obj is KubeObject => obj !== null);

function withFeatureGates(cr: KubeObject, featureGates: string[]): KubeObject {
  const spec = (cr.spec ?? {}) as { configuration?: { developerConfiguration?: Record<string, unknown> } };
  const configuration = { ...spec.configuration, developerConfiguration: { ...spec.configuration?.developerConfiguration, featureGates } };
  return { ...cr, spec: { ...spec, configuration } };
}

export async function installKubeVirt(ctx: StepContext, featureGates: string[] = []): Promise<void> {
  for (const obj of manifest('kubevirt-operator.yaml')) await ctx.api.apply(obj, undefined);
  await stepExecutors.wait(ctx, { object: 'customresourcedefinitions/kubevirts.kubevirt.io', condition: 'Established', timeout: '1m' });
  for (const cr of manifest('kubevirt-cr.yaml')) await ctx.api.apply(withFeatureGates(cr, featureGates), undefined);
  await stepExecutors.wait(ctx, { object: 'kubevirts/kubevirt', namespace: 'kubevirt', condition: 'Available', timeout: INSTALL_TIMEOUT });
}
