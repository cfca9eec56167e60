/**
 * The claim a DataVolume populates, rendered as CDI's DataVolume controllers
 * render it (pkg/controller/datavolume/util.go renderPvcSpec and
 * import-controller.go updateAnnotations, CDI v1.64.0): named and owned by the
 * DataVolume, with CDI's labels, the DataVolume's annotations, and the source
 * written as annotations for the import (or clone) controller. `spec.pvc` is
 * taken as it is; `spec.storage` is completed from the class's StorageProfile
 * (access modes and volume mode) and the default class. kind's local-path is not
 * a CSI driver, so CDI's populators are not used (`storage.usePopulator: "false"`).
 */
import type { KubeObject } from '../api/types.js';
import { newControllerRef } from '../kube/owners.js';
import { ANN_DEFAULT_STORAGE_CLASS, PVC, type PersistentVolumeClaim, type StorageClass } from '../kube/volumes.js';
import {
  ANN_CLONE_REQUEST,
  ANN_CONTENT_TYPE,
  ANN_CREATED_FOR_DATA_VOLUME,
  ANN_ENDPOINT,
  ANN_PREALLOCATION_REQUESTED,
  ANN_SOURCE,
  ANN_USE_POPULATOR,
  type DataVolume,
  type ImportSource,
} from './types.js';

/** What the DataVolume fills its claim from, once a `sourceRef` is resolved. */
export type ResolvedSource =
  | { kind: 'import'; source: string; endpoint?: string }
  | { kind: 'clone'; namespace: string; name: string }
  | { kind: 'unsupported'; what: string };

export function resolveSource(dv: DataVolume, source: ImportSource | undefined): ResolvedSource {
  const namespace = dv.metadata.namespace ?? '';
  if (!source) return { kind: 'unsupported', what: 'no source' };
  for (const type of ['http', 's3', 'gcs', 'imageio', 'vddk'] as const) {
    const from = source[type];
    if (from) return { kind: 'import', source: type, endpoint: from.url };
  }
  if (source.registry) return { kind: 'import', source: 'registry', endpoint: source.registry.url ?? source.registry.imageStream };
  if (source.blank) return { kind: 'import', source: 'none' };
  if (source.pvc) return { kind: 'clone', namespace: source.pvc.namespace ?? namespace, name: source.pvc.name };
  return { kind: 'unsupported', what: Object.keys(source)[0] ?? 'no source' };
}

export const CDI_LABELS = {
  app: 'containerized-data-importer',
  'app.kubernetes.io/component': 'storage',
  'app.kubernetes.io/managed-by': 'cdi-controller',
};

/** The default StorageClass (the newest of several, as kube's DefaultStorageClass admission picks). */
export function defaultClass(classes: readonly StorageClass[]): StorageClass | undefined {
  return classes
    .filter((c) => c.metadata.annotations?.[ANN_DEFAULT_STORAGE_CLASS] === 'true')
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
}

/** spec.pvc as given, or spec.storage with the StorageProfile's defaults (ReadWriteOnce, Filesystem for local-path). */
function claimSpec(dv: DataVolume, classes: readonly StorageClass[]): Record<string, unknown> {
  if (dv.spec.pvc) return structuredClone(dv.spec.pvc);
  const storage = structuredClone(dv.spec.storage ?? {});
  const className = (storage.storageClassName as string | undefined) ?? defaultClass(classes)?.metadata.name;
  return {
    ...storage,
    accessModes: (storage.accessModes as string[] | undefined) ?? ['ReadWriteOnce'],
    volumeMode: storage.volumeMode ?? 'Filesystem',
    ...(className !== undefined && { storageClassName: className }),
  };
}

export function claimFor(dv: DataVolume, source: ResolvedSource, classes: readonly StorageClass[]): PersistentVolumeClaim {
  const annotations: Record<string, string> = {
    ...(dv.metadata.annotations ?? {}),
    [ANN_CONTENT_TYPE]: dv.spec.contentType ?? 'kubevirt',
    [ANN_PREALLOCATION_REQUESTED]: String(dv.spec.preallocation ?? false),
    [ANN_CREATED_FOR_DATA_VOLUME]: dv.metadata.uid ?? '',
    [ANN_USE_POPULATOR]: 'false',
  };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  if (source.kind === 'import') {
    annotations[ANN_SOURCE] = source.source;
    if (source.endpoint !== undefined) annotations[ANN_ENDPOINT] = source.endpoint;
  } else if (source.kind === 'clone') {
    annotations[ANN_CLONE_REQUEST] = `${source.namespace}/${source.name}`;
  }
  const claim: KubeObject = {
    ...PVC,
    metadata: {
      name: dv.metadata.name,
      namespace: dv.metadata.namespace,
      labels: { ...CDI_LABELS, ...(dv.metadata.labels ?? {}) },
      annotations,
      ownerReferences: [newControllerRef(dv)],
    },
    spec: claimSpec(dv, classes),
  };
  return claim as PersistentVolumeClaim;
}
