/**
 * The DefaultStorageClass admission plugin (plugin/pkg/admission/storage/storageclass/setdefault):
 * a PersistentVolumeClaim created without spec.storageClassName (and without the
 * beta class annotation) gets the default StorageClass, the one annotated
 * storageclass.kubernetes.io/is-default-class=true (the newest when several are,
 * then by name). An explicit "" asks for no class and is left alone.
 */
import type { Handles, MutatingPlugin } from '../../admission/chain.js';
import type { KubeObject } from '../../api/types.js';
import { ANN_DEFAULT_STORAGE_CLASS, type PersistentVolumeClaim } from '../../kube/volumes.js';

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

export function defaultStorageClassName(classes: readonly KubeObject[]): string | undefined {
  const defaults = classes.filter((c) => c.metadata.annotations?.[ANN_DEFAULT_STORAGE_CLASS] === 'true');
  defaults.sort((a, b) => {
    const byAge = (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');
    return byAge || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
  });
  return defaults[0]?.metadata.name;
}

const isClaimCreate: Handles = ({ type, subresource, operation }) =>
  type.group === '' && type.plural === 'persistentvolumeclaims' && !subresource && operation === 'CREATE';

export function defaultStorageClassPlugin(listStorageClasses: () => readonly KubeObject[]): MutatingPlugin {
  return {
    name: 'DefaultStorageClass',
    handles: isClaimCreate,
    async mutate(attributes) {
      const { object } = attributes;
      if (!object || !isClaimCreate(attributes)) return object;
      const claim = object as PersistentVolumeClaim;
      if (claim.spec?.storageClassName !== undefined || claim.metadata.annotations?.[BETA_CLASS_ANNOTATION] !== undefined) return object;
      const className = defaultStorageClassName(listStorageClasses());
      return className ? ({ ...claim, spec: { ...claim.spec, storageClassName: className } } as KubeObject) : object;
    },
  };
}
