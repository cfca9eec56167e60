/**
 * What a fresh cluster has beside the control plane, as data: CoreDNS,
 * kube-proxy and kindnet in kube-system (schemas/kind/kube-system-addons.yaml),
 * kind's default storage (schemas/kind/default-storage.yaml: local-path-storage,
 * the provisioner's Deployment and RBAC, the default StorageClass `standard`), and
 * what KubeVirt's CI adds to kind for snapshots: the CSI VolumeSnapshot CRDs and
 * the snapshot controller's RBAC (schemas/external-snapshotter/) with a default
 * VolumeSnapshotClass for `standard` (schemas/emulator/volume-snapshot-class.yaml).
 * Parsed once per process; the assembly point creates the objects at start, in
 * one pass and in this order, as kind applies its manifests after kubeadm init.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { yamlDocuments } from '../../runtime/yaml-data.js';
import type { KubeObject } from '../../api/types.js';
import { KUBELET_VERSION } from '../nodes/node-template.js';

const schemas = new URL('../../../schemas/', import.meta.url);
const MANIFESTS = [
  'kind/kube-system-addons.yaml',
  'kind/default-storage.yaml',
  'external-snapshotter/snapshot.storage.k8s.io_volumesnapshotclasses.json',
  'external-snapshotter/snapshot.storage.k8s.io_volumesnapshotcontents.json',
  'external-snapshotter/snapshot.storage.k8s.io_volumesnapshots.json',
  'external-snapshotter/rbac-snapshot-controller.yaml',
  'emulator/volume-snapshot-class.yaml',
];

let objects: readonly KubeObject[] | undefined;

/** One manifest's objects: a JSON file holds one object (the large CRDs, which JSON parses fastest), a YAML file several. */
function manifestObjects(file: string): KubeObject[] {
  const text = readFileSync(fileURLToPath(new URL(file, schemas)), 'utf8');
  if (file.endsWith('.json')) return [JSON.parse(text) as KubeObject];
  return (yamlDocuments(text.replaceAll('KUBE_VERSION', KUBELET_VERSION)) as Array<KubeObject | null>).filter(
    (object): object is KubeObject => !!object,
  );
}

export function clusterAddonObjects(): readonly KubeObject[] {
  objects ??= MANIFESTS.flatMap(manifestObjects);
  return objects;
}
