/**
 * What virt-api's admitters read: the cluster configuration and the objects
 * some checks look up, all from informer caches (virt-api's own informers),
 * plus the clock and the seeded random source for generated values.
 */
import type { KubeObject } from '../../../api/types.js';
import { generateName, generateUid } from '../../../api/registry/names.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { Informer } from '../../../runtime/informer.js';
import { KUBEVIRT_REF, VMI_REF } from '../../controller/constants.js';
import type { Lookup } from '../../controller/instancetype/instancetype-revisions.js';
import { clientLookup } from '../../controller/instancetype/vm-instancetype.js';
import { admissionConfig, type AdmissionConfig } from './config.js';
import type { Preset } from './presets.js';

export interface AdmissionDeps {
  config(): AdmissionConfig;
  now(): Date;
  uuid(): string;
  /** `<base><5 random chars>`, as generateName does (clone target names). */
  withRandomSuffix(base: string): string;
  kubevirts: Informer;
  vmis: Informer;
  migrations: Informer;
  restores: Informer;
  /** VirtualMachineInstancePresets, for the VMI mutator. */
  presets: Informer<Preset>;
  /** Direct reads (instancetypes, preferences, their revisions), as virt-api's instancetype finders do without a cache. */
  lookup: Lookup;
}

const ref = (apiVersion: string, kind: string) => ({ apiVersion, kind });

export function admissionDeps(ctx: ComponentContext): AdmissionDeps {
  const kubevirts = ctx.informers.informerFor(KUBEVIRT_REF);
  // Every admitter reads the configuration; it changes only with a KubeVirt CR.
  let config: AdmissionConfig | undefined;
  const forget = (): void => {
    config = undefined;
  };
  kubevirts.addEventHandler({ onAdd: forget, onUpdate: forget, onDelete: forget });
  return {
    config: () => (config ??= admissionConfig(firstLive(kubevirts.list()))),
    now: () => ctx.clock.now(),
    uuid: () => generateUid(ctx.random),
    withRandomSuffix: (base) => generateName(base, ctx.random),
    kubevirts,
    vmis: ctx.informers.informerFor(VMI_REF),
    migrations: ctx.informers.informerFor(ref('kubevirt.io/v1', 'VirtualMachineInstanceMigration')),
    restores: ctx.informers.informerFor(ref('snapshot.kubevirt.io/v1beta1', 'VirtualMachineRestore')),
    presets: ctx.informers.informerFor<Preset>(ref('kubevirt.io/v1', 'VirtualMachineInstancePreset')),
    lookup: clientLookup(ctx.client),
  };
}

/** The KubeVirt CR in effect: the oldest one that is not being deleted. */
const firstLive = (kubevirts: KubeObject[]): KubeObject | undefined =>
  kubevirts.find((kv) => !kv.metadata.deletionTimestamp) ?? kubevirts[0];
