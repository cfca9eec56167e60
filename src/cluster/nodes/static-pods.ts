/**
 * The control-plane node's static pods (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler), as its kubelet publishes them: mirror pods named `<pod>-<node>`,
 * bound to the node and owned by it, with the kubelet's config annotations
 * (kubernetes.io/config.hash, .mirror, .seen, .source). The manifests are data
 * (schemas/kind/static-pods.yaml); the simulated components themselves run in-process.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Pod } from '../../kube/pods.js';
import { yamlDocuments } from '../../runtime/yaml-data.js';
import type { NodeIdentity } from './node-template.js';
import { KUBELET_VERSION } from './node-template.js';

const MANIFESTS = new URL('../../../schemas/kind/static-pods.yaml', import.meta.url);
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

let template: string | undefined;

/** The node's mirror pods; `seen` is when the kubelet read the manifests (RFC 3339 with nanoseconds, as kubelet writes it). */
export function mirrorPods(identity: NodeIdentity, nodeUid: string, seen: string): Pod[] {
  template ??= readFileSync(fileURLToPath(MANIFESTS), 'utf8');
  const text = template
    .replaceAll('NODE_IP', identity.internalIP)
    .replaceAll('NODE_NAME', identity.name)
    .replaceAll('KUBE_VERSION', KUBELET_VERSION);
  return (yamlDocuments(text) as Pod[]).map((manifest) => {
    const hash = createHash('md5').update(JSON.stringify(manifest)).digest('hex');
    return {
      ...manifest,
      metadata: {
        ...manifest.metadata,
        name: `${manifest.metadata.name ?? ''}-${identity.name}`,
        annotations: {
          ...manifest.metadata.annotations,
          'kubernetes.io/config.hash': hash,
          [MIRROR_ANNOTATION]: hash,
          'kubernetes.io/config.seen': seen,
          'kubernetes.io/config.source': 'file',
        },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: identity.name, uid: nodeUid, controller: true }],
      },
      // The kubelet tolerates every NoExecute taint for its static pods, so the taint manager never evicts them.
      spec: { ...manifest.spec, nodeName: identity.name, tolerations: [{ operator: 'Exists', effect: 'NoExecute' }] },
    } as Pod;
  });
}
