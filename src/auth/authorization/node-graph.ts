/**
 * The relationships kube's Node authorizer allows a kubelet through
 * (plugin/pkg/auth/authorizer/node/graph.go): a pod bound to the node reaches
 * the node, and the Secrets, ConfigMaps, PVCs, ServiceAccount and
 * ResourceClaims the pod names reach the pod; a PV reaches the PVC its claimRef
 * names and the kubelet-visible Secrets it names reach the PV; a
 * VolumeAttachment reaches the node it is for. Mirror pods reach their node
 * only. kube keeps this graph up to date from informers; here it is read from
 * the store when a kubelet asks (only the pods of the object's namespace are
 * looked at), so it is never stale, restarts included.
 */
import type { KubeObject } from '../../api/types.js';
import type { Store } from '../../storage/store.js';

export type GraphResource =
  | 'pods'
  | 'secrets'
  | 'configmaps'
  | 'persistentvolumeclaims'
  | 'persistentvolumes'
  | 'serviceaccounts'
  | 'resourceclaims'
  | 'volumeattachments';

const PODS = '/pods';
const PERSISTENT_VOLUMES = '/persistentvolumes';
const VOLUME_ATTACHMENTS = 'storage.k8s.io/volumeattachments';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

interface NameRef {
  name?: string;
  namespace?: string;
}
interface Container {
  env?: Array<{ valueFrom?: { secretKeyRef?: NameRef; configMapKeyRef?: NameRef } }>;
  envFrom?: Array<{ secretRef?: NameRef; configMapRef?: NameRef }>;
}
interface VolumeSource {
  secret?: { secretName?: string };
  configMap?: NameRef;
  projected?: { sources?: Array<{ secret?: NameRef; configMap?: NameRef }> };
  azureFile?: { secretName?: string; secretNamespace?: string };
  csi?: { nodePublishSecretRef?: NameRef; nodeStageSecretRef?: NameRef; nodeExpandSecretRef?: NameRef };
  persistentVolumeClaim?: { claimName?: string };
  ephemeral?: object;
  [plugin: string]: unknown;
}
interface PodSpec {
  nodeName?: string;
  serviceAccountName?: string;
  imagePullSecrets?: NameRef[];
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Array<VolumeSource & { name: string }>;
  resourceClaims?: Array<{ name: string; resourceClaimName?: string; resourceClaimTemplateName?: string }>;
}
type Pod = KubeObject & { spec?: PodSpec; status?: { resourceClaimStatuses?: Array<{ name: string; resourceClaimName?: string }> } };
type PersistentVolume = KubeObject & { spec?: VolumeSource & { claimRef?: NameRef } };

/** The volume plugins whose `secretRef` a kubelet reads (kube's VisitPodSecretNames and VisitPVSecretNames). */
const SECRET_REF_PLUGINS = ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos'];

const containersOf = (spec: PodSpec): Container[] => [
  ...(spec.initContainers ?? []),
  ...(spec.containers ?? []),
  ...(spec.ephemeralContainers ?? []),
];

/** The names of the objects of `resource` a (non-mirror) pod refers to, in its own namespace. */
function podReferences(pod: Pod, resource: GraphResource): string[] {
  const spec = pod.spec ?? {};
  const volumes = spec.volumes ?? [];
  switch (resource) {
    case 'secrets':
      return [
        ...(spec.imagePullSecrets ?? []).map((r) => r.name),
        ...containersOf(spec).flatMap((c) => [
          ...(c.envFrom ?? []).map((e) => e.secretRef?.name),
          ...(c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name),
        ]),
        ...volumes.flatMap((v) => [
          v.secret?.secretName,
          v.azureFile?.secretName,
          v.csi?.nodePublishSecretRef?.name,
          ...(v.projected?.sources ?? []).map((s) => s.secret?.name),
          ...SECRET_REF_PLUGINS.map((plugin) => (v[plugin] as { secretRef?: NameRef } | undefined)?.secretRef?.name),
        ]),
      ].filter((name): name is string => !!name);
    case 'configmaps':
      return [
        ...containersOf(spec).flatMap((c) => [
          ...(c.envFrom ?? []).map((e) => e.configMapRef?.name),
          ...(c.env ?? []).map((e) => e.valueFrom?.configMapKeyRef?.name),
        ]),
        ...volumes.flatMap((v) => [v.configMap?.name, ...(v.projected?.sources ?? []).map((s) => s.configMap?.name)]),
      ].filter((name): name is string => !!name);
    case 'persistentvolumeclaims':
      // A generic ephemeral volume's claim is named <pod>-<volume> (k8s.io/component-helpers ephemeral.VolumeClaimName).
      return volumes.flatMap((v) =>
        v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : v.ephemeral ? [`${pod.metadata.name}-${v.name}`] : [],
      );
    case 'serviceaccounts':
      return spec.serviceAccountName ? [spec.serviceAccountName] : [];
    case 'resourceclaims':
      return (spec.resourceClaims ?? []).flatMap((claim) => {
        const name = claim.resourceClaimName ?? pod.status?.resourceClaimStatuses?.find((s) => s.name === claim.name)?.resourceClaimName;
        return name ? [name] : [];
      });
    default:
      return [];
  }
}

/** The Secrets a PV's kubelet-visible secret references name, with their namespaces (the claim's when the reference has none). */
function pvSecrets(pv: PersistentVolume): NameRef[] {
  const spec = pv.spec ?? {};
  const claimNamespace = spec.claimRef?.namespace;
  const refs: Array<NameRef | undefined> = [
    spec.azureFile?.secretName ? { name: spec.azureFile.secretName, namespace: spec.azureFile.secretNamespace } : undefined,
    spec.csi?.nodePublishSecretRef,
    spec.csi?.nodeStageSecretRef,
    spec.csi?.nodeExpandSecretRef,
    ...SECRET_REF_PLUGINS.map((plugin) => (spec[plugin] as { secretRef?: NameRef } | undefined)?.secretRef),
  ];
  return refs.filter((r): r is NameRef => !!r?.name).map((r) => ({ name: r.name, namespace: r.namespace || claimNamespace }));
}

export class NodeGraph {
  constructor(private readonly store: Store) {}

  /** Whether the object `resource` `namespace`/`name` is related to node `nodeName` (kube's hasPathFrom). */
  hasPath(nodeName: string, resource: GraphResource, namespace: string, name: string): boolean {
    switch (resource) {
      case 'pods':
        return this.podOn(nodeName, namespace, name) !== undefined;
      case 'volumeattachments':
        return (this.store.get(VOLUME_ATTACHMENTS, '', name)?.spec as { nodeName?: string } | undefined)?.nodeName === nodeName;
      case 'persistentvolumes':
        return this.pvReaches(nodeName, this.store.get(PERSISTENT_VOLUMES, '', name) as PersistentVolume | undefined);
      case 'secrets':
        return (
          this.referencedByPodOn(nodeName, resource, namespace, name) ||
          (this.store.list(PERSISTENT_VOLUMES) as PersistentVolume[]).some(
            (pv) => pvSecrets(pv).some((ref) => ref.name === name && ref.namespace === namespace) && this.pvReaches(nodeName, pv),
          )
        );
      default:
        return this.referencedByPodOn(nodeName, resource, namespace, name);
    }
  }

  private podOn(nodeName: string, namespace: string, name: string): Pod | undefined {
    const pod = this.store.get(PODS, namespace, name) as Pod | undefined;
    return pod?.spec?.nodeName === nodeName ? pod : undefined;
  }

  private referencedByPodOn(nodeName: string, resource: GraphResource, namespace: string, name: string): boolean {
    return (this.store.list(PODS, namespace) as Pod[]).some(
      (pod) =>
        pod.spec?.nodeName === nodeName && !pod.metadata.annotations?.[MIRROR_ANNOTATION] && podReferences(pod, resource).includes(name),
    );
  }

  private pvReaches(nodeName: string, pv: PersistentVolume | undefined): boolean {
    const claim = pv?.spec?.claimRef;
    return !!claim?.name && this.referencedByPodOn(nodeName, 'persistentvolumeclaims', claim.namespace ?? '', claim.name);
  }
}
