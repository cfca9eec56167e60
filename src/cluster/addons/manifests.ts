/**
 * What a fresh kind cluster has beside the control plane, as data: CoreDNS,
 * kube-proxy and kindnet in kube-system (schemas/kind/kube-system-addons.yaml) and
 * kind's default storage (schemas/kind/default-storage.yaml: local-path-storage, the
 * provisioner's Deployment and RBAC, the default StorageClass `standard`).
 * Parsed once per process; the assembly point creates the objects at start, in
 * one pass, as kind applies its manifests after kubeadm init.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../api/types.js';
import { KUBELET_VERSION } from '../nodes/node-template.js';

const dataDir = new URL('../../../schemas/kind/', import.meta.url);
const MANIFESTS = ['kube-system-addons.yaml', 'default-storage.yaml'];

let objects: readonly KubeObject[] | undefined;

export function kindAddonObjects(): readonly KubeObject[] {
  objects ??= MANIFESTS.flatMap((file) =>
    parseAllDocuments(readFileSync(fileURLToPath(new URL(file, dataDir)), 'utf8').replaceAll('KUBE_VERSION', KUBELET_VERSION))
      .map((doc) => doc.toJSON() as KubeObject | null)
      .filter((object): object is KubeObject => !!object),
  );
  return objects;
}
