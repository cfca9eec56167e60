/**
 * The VirtualMachines a VirtualMachinePool stamps out (pool.go scaleOut,
 * indexVMSpec): named `<pool>-<index>` with the lowest unused indices, the
 * template's metadata and spec, DataVolume templates (and, when asked,
 * ConfigMap and Secret references) suffixed with the index, and the pool
 * revision label on the VM and its VMI template.
 */
import type { LabelSelectorObject } from '../../../api/selectors/label-selector.js';
import type { KubeObject } from '../../../api/types.js';
import type { KindRef } from '../../../client/client.js';
import { newControllerRef } from '../../../kube/owners.js';
import { VM_REF } from '../constants.js';
import type { ReplicaStatus } from '../replicaset/replicaset-status.js';
import type { VirtualMachine, Volume } from '../types.js';
import type { Autohealing } from './pool-autoheal.js';

export const POOL_REF: KindRef = { apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool' };
export const FINALIZER_POOL = 'pool.kubevirt.io/finalizer';
export const LABEL_POOL_REVISION = 'kubevirt.io/vm-pool-revision-name';

export type SortPolicy = 'AscendingOrder' | 'DescendingOrder' | 'Newest' | 'Oldest' | 'Random';

/** VirtualMachinePoolSelectors: VM template labels, and requirements on the VM template's nodeSelector. */
export interface PoolSelectors {
  labelSelector?: LabelSelectorObject;
  nodeSelectorRequirementMatcher?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface VirtualMachinePool extends KubeObject {
  spec: {
    replicas?: number;
    selector?: LabelSelectorObject;
    paused?: boolean;
    virtualMachineTemplate: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: VirtualMachine['spec'];
    };
    nameGeneration?: { appendIndexToConfigMapRefs?: boolean; appendIndexToSecretRefs?: boolean };
    /** An absolute count or a percentage of replicas (default 100%). */
    maxUnavailable?: number | string;
    updateStrategy?: { unmanaged?: object; opportunistic?: object; proactive?: object };
    scaleInStrategy?: {
      unmanaged?: object;
      opportunistic?: object;
      proactive?: { selectionPolicy?: { sortPolicy?: SortPolicy; selectors?: PoolSelectors } };
    };
    autohealing?: Autohealing;
  };
  status?: ReplicaStatus;
}

export const poolVmName = (pool: VirtualMachinePool, index: number): string => `${pool.metadata.name ?? ''}-${index}`;

/** The index a pool VM's name ends with (0 when it has none, as pool.go's sort treats it). */
export const indexOfVm = (name: string): number => {
  const index = Number(name.slice(name.lastIndexOf('-') + 1));
  return Number.isInteger(index) ? index : 0;
};

/** The `count` lowest indices whose name no VM of the namespace has. */
export function freeIndices(pool: VirtualMachinePool, count: number, nameTaken: (name: string) => boolean): number[] {
  const indices: number[] = [];
  for (let index = 0; indices.length < count; index++) if (!nameTaken(poolVmName(pool, index))) indices.push(index);
  return indices;
}

/** ControllerRevision name of the pool's current generation. */
export const poolRevisionName = (pool: VirtualMachinePool): string => `${pool.metadata.name ?? ''}-${pool.metadata.generation ?? 1}`;

type SecretRef = { name?: string } | undefined;
type CloudInit = { userDataSecretRef?: SecretRef; networkDataSecretRef?: SecretRef } | undefined;

/** A copy of the template's VM spec with the per-index names of DataVolumes, ConfigMaps and Secrets. */
export function indexVmSpec(pool: VirtualMachinePool, index: number): VirtualMachine['spec'] {
  const spec = structuredClone(pool.spec.virtualMachineTemplate.spec);
  const suffix = `-${index}`;
  const dataVolumeNames = new Map<string, string>();
  for (const template of (spec.dataVolumeTemplates as Array<{ metadata?: { name?: string } }> | undefined) ?? []) {
    const name = template.metadata?.name;
    if (!name || !template.metadata) continue;
    dataVolumeNames.set(name, name + suffix);
    template.metadata.name = name + suffix;
  }
  const { appendIndexToConfigMapRefs = false, appendIndexToSecretRefs = false } = pool.spec.nameGeneration ?? {};
  const suffixRef = (ref: SecretRef): void => {
    if (ref?.name !== undefined) ref.name += suffix;
  };
  for (const volume of (spec.template.spec.volumes ?? []) as Volume[]) {
    const configMap = volume.configMap as { name?: string } | undefined;
    const secret = volume.secret as { secretName?: string } | undefined;
    const cloudInit = (volume.cloudInitNoCloud ?? volume.cloudInitConfigDrive) as CloudInit;
    if (volume.persistentVolumeClaim)
      volume.persistentVolumeClaim.claimName =
        dataVolumeNames.get(volume.persistentVolumeClaim.claimName) ?? volume.persistentVolumeClaim.claimName;
    else if (volume.dataVolume) volume.dataVolume.name = dataVolumeNames.get(volume.dataVolume.name) ?? volume.dataVolume.name;
    else if (configMap?.name !== undefined && appendIndexToConfigMapRefs) configMap.name += suffix;
    else if (secret?.secretName !== undefined && appendIndexToSecretRefs) secret.secretName += suffix;
    else if (cloudInit && appendIndexToSecretRefs) {
      suffixRef(cloudInit.userDataSecretRef);
      suffixRef(cloudInit.networkDataSecretRef);
    }
  }
  return spec;
}

/** The VM of index `index`, carrying the pool's finalizer, revision label and controller reference. */
export function vmFromPool(pool: VirtualMachinePool, index: number, revisionName: string): VirtualMachine {
  const template = pool.spec.virtualMachineTemplate;
  const spec = indexVmSpec(pool, index);
  spec.template.metadata = {
    ...spec.template.metadata,
    labels: { ...spec.template.metadata?.labels, [LABEL_POOL_REVISION]: revisionName },
  };
  return {
    apiVersion: VM_REF.apiVersion,
    kind: VM_REF.kind,
    metadata: {
      name: poolVmName(pool, index),
      namespace: pool.metadata.namespace,
      labels: { ...template.metadata?.labels, [LABEL_POOL_REVISION]: revisionName },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      finalizers: [FINALIZER_POOL],
      ownerReferences: [newControllerRef(pool)],
    },
    spec,
  };
}
