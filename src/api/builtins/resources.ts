/**
 * The built-in resource types a Kubernetes 1.32 apiserver serves, each at its
 * preferred version, with the discovery fields (verbs, short names,
 * categories, subresources) the real server reports. Table columns and row
 * rendering live in api/tables and are joined to these rows by the lead.
 */
import type { GroupVersionKind, ResourceType, SubresourceInfo } from '../types.js';

export type BuiltinDefinition = Omit<ResourceType, 'columns' | 'renderRow'>;

/** The verbs of an ordinary stored resource, sorted as discovery lists them. */
const standardVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Namespaces cannot be deleted as a collection. */
const namespaceVerbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
/** Reviews are virtual: they are only ever created, never stored. */
const createOnly = ['create'];

const readWrite = ['get', 'patch', 'update'];

/** The autoscaling/v1 Scale every scale subresource answers with. */
const scaleKind: GroupVersionKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

type SubresourceSpec = 'status' | 'scale' | { name: string; verbs: string[]; responseKind?: GroupVersionKind };

interface Row {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: SubresourceSpec[];
  /** Another resource's storage ("<group>/<plural>") this one is served from, when it has none of its own. */
  storageKey?: string;
}

function subresourceInfo(row: Row, spec: SubresourceSpec): SubresourceInfo {
  const own: GroupVersionKind = { group: row.group, version: row.version, kind: row.kind };
  if (spec === 'status') return { name: 'status', responseKind: own, verbs: [...readWrite] };
  if (spec === 'scale') return { name: 'scale', responseKind: { ...scaleKind }, verbs: [...readWrite] };
  return { name: spec.name, responseKind: { ...(spec.responseKind ?? own) }, verbs: [...spec.verbs] };
}

function definition(row: Row): BuiltinDefinition {
  return {
    group: row.group,
    version: row.version,
    kind: row.kind,
    listKind: `${row.kind}List`,
    plural: row.plural,
    singular: row.kind.toLowerCase(),
    shortNames: [...(row.shortNames ?? [])],
    categories: [...(row.categories ?? [])],
    namespaced: row.namespaced,
    verbs: [...(row.verbs ?? standardVerbs)],
    // Discovery lists subresources in name order.
    subresources: (row.subresources ?? []).map((s) => subresourceInfo(row, s)).sort((a, b) => a.name.localeCompare(b.name)),
    storageKey: row.storageKey ?? `${row.group}/${row.plural}`,
    custom: false,
  };
}

const core = (kind: string, plural: string, namespaced: boolean, extra: Partial<Row> = {}): Row => ({
  group: '',
  version: 'v1',
  kind,
  plural,
  namespaced,
  ...extra,
});
const inGroup =
  (group: string, version: string) =>
  (kind: string, plural: string, namespaced: boolean, extra: Partial<Row> = {}): Row => ({
    group,
    version,
    kind,
    plural,
    namespaced,
    ...extra,
  });

const apps = inGroup('apps', 'v1');
const rbac = inGroup('rbac.authorization.k8s.io', 'v1');
const admission = inGroup('admissionregistration.k8s.io', 'v1');
const networking = inGroup('networking.k8s.io', 'v1');
const storage = inGroup('storage.k8s.io', 'v1');
const batch = inGroup('batch', 'v1');
const authorization = inGroup('authorization.k8s.io', 'v1');
const authentication = inGroup('authentication.k8s.io', 'v1');
const flowcontrol = inGroup('flowcontrol.apiserver.k8s.io', 'v1');

const all = ['all'];
const apiExtensions = ['api-extensions'];

const rows: Row[] = [
  core('Namespace', 'namespaces', false, {
    shortNames: ['ns'],
    verbs: namespaceVerbs,
    subresources: ['status', { name: 'finalize', verbs: ['update'] }],
  }),
  core('Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  core('Pod', 'pods', true, {
    shortNames: ['po'],
    categories: all,
    subresources: [
      'status',
      { name: 'log', verbs: ['get'] },
      { name: 'exec', verbs: ['create', 'get'], responseKind: { group: '', version: 'v1', kind: 'PodExecOptions' } },
      { name: 'attach', verbs: ['create', 'get'], responseKind: { group: '', version: 'v1', kind: 'PodAttachOptions' } },
      { name: 'portforward', verbs: ['create', 'get'], responseKind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' } },
      { name: 'binding', verbs: createOnly, responseKind: { group: '', version: 'v1', kind: 'Binding' } },
      { name: 'eviction', verbs: createOnly, responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' } },
      { name: 'ephemeralcontainers', verbs: readWrite },
    ],
  }),
  core('Service', 'services', true, { shortNames: ['svc'], categories: all, subresources: ['status'] }),
  core('Endpoints', 'endpoints', true, { shortNames: ['ep'] }),
  core('ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  core('Secret', 'secrets', true),
  core('ServiceAccount', 'serviceaccounts', true, {
    shortNames: ['sa'],
    subresources: [
      { name: 'token', verbs: createOnly, responseKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } },
    ],
  }),
  core('Event', 'events', true, { shortNames: ['ev'] }),
  core('PersistentVolumeClaim', 'persistentvolumeclaims', true, { shortNames: ['pvc'], subresources: ['status'] }),
  core('PersistentVolume', 'persistentvolumes', false, { shortNames: ['pv'], subresources: ['status'] }),
  core('ResourceQuota', 'resourcequotas', true, { shortNames: ['quota'], subresources: ['status'] }),
  core('LimitRange', 'limitranges', true, { shortNames: ['limits'] }),
  core('ReplicationController', 'replicationcontrollers', true, { shortNames: ['rc'], categories: all, subresources: ['scale', 'status'] }),
  core('PodTemplate', 'podtemplates', true),

  inGroup('apiregistration.k8s.io', 'v1')('APIService', 'apiservices', false, { categories: apiExtensions, subresources: ['status'] }),

  apps('Deployment', 'deployments', true, { shortNames: ['deploy'], categories: all, subresources: ['scale', 'status'] }),
  apps('ReplicaSet', 'replicasets', true, { shortNames: ['rs'], categories: all, subresources: ['scale', 'status'] }),
  apps('StatefulSet', 'statefulsets', true, { shortNames: ['sts'], categories: all, subresources: ['scale', 'status'] }),
  apps('DaemonSet', 'daemonsets', true, { shortNames: ['ds'], categories: all, subresources: ['status'] }),
  apps('ControllerRevision', 'controllerrevisions', true),

  // events.k8s.io is served from the core Event registry in Kubernetes (etcd /registry/events), hence the same short
  // name; api/conversion converts between the two versions.
  inGroup('events.k8s.io', 'v1')('Event', 'events', true, { shortNames: ['ev'], storageKey: '/events' }),

  authentication('TokenReview', 'tokenreviews', false, { verbs: createOnly }),
  authentication('SelfSubjectReview', 'selfsubjectreviews', false, { verbs: createOnly }),

  authorization('SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, { verbs: createOnly }),
  authorization('SubjectAccessReview', 'subjectaccessreviews', false, { verbs: createOnly }),
  authorization('LocalSubjectAccessReview', 'localsubjectaccessreviews', true, { verbs: createOnly }),
  authorization('SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, { verbs: createOnly }),

  // Served at both versions, stored at v2; api/conversion converts between them.
  ...['v2', 'v1'].map((version) =>
    inGroup('autoscaling', version)('HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, {
      shortNames: ['hpa'],
      categories: all,
      subresources: ['status'],
    }),
  ),

  batch('Job', 'jobs', true, { categories: all, subresources: ['status'] }),
  batch('CronJob', 'cronjobs', true, { shortNames: ['cj'], categories: all, subresources: ['status'] }),

  inGroup('certificates.k8s.io', 'v1')('CertificateSigningRequest', 'certificatesigningrequests', false, {
    shortNames: ['csr'],
    subresources: ['status', { name: 'approval', verbs: readWrite }],
  }),

  networking('NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'] }),
  networking('Ingress', 'ingresses', true, { shortNames: ['ing'], subresources: ['status'] }),
  networking('IngressClass', 'ingressclasses', false),

  inGroup('policy', 'v1')('PodDisruptionBudget', 'poddisruptionbudgets', true, { shortNames: ['pdb'], subresources: ['status'] }),

  rbac('Role', 'roles', true),
  rbac('RoleBinding', 'rolebindings', true),
  rbac('ClusterRole', 'clusterroles', false),
  rbac('ClusterRoleBinding', 'clusterrolebindings', false),

  storage('StorageClass', 'storageclasses', false, { shortNames: ['sc'] }),
  storage('CSIDriver', 'csidrivers', false),
  storage('CSINode', 'csinodes', false),
  storage('VolumeAttachment', 'volumeattachments', false, { subresources: ['status'] }),
  storage('CSIStorageCapacity', 'csistoragecapacities', true),

  admission('ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false, { categories: apiExtensions }),
  admission('MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false, { categories: apiExtensions }),
  admission('ValidatingAdmissionPolicy', 'validatingadmissionpolicies', false, { categories: apiExtensions, subresources: ['status'] }),
  admission('ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings', false, { categories: apiExtensions }),

  inGroup('apiextensions.k8s.io', 'v1')('CustomResourceDefinition', 'customresourcedefinitions', false, {
    shortNames: ['crd', 'crds'],
    categories: apiExtensions,
    subresources: ['status'],
  }),

  inGroup('scheduling.k8s.io', 'v1')('PriorityClass', 'priorityclasses', false, { shortNames: ['pc'] }),

  inGroup('coordination.k8s.io', 'v1')('Lease', 'leases', true),

  inGroup('node.k8s.io', 'v1')('RuntimeClass', 'runtimeclasses', false),

  inGroup('discovery.k8s.io', 'v1')('EndpointSlice', 'endpointslices', true),

  flowcontrol('FlowSchema', 'flowschemas', false, { subresources: ['status'] }),
  flowcontrol('PriorityLevelConfiguration', 'prioritylevelconfigurations', false, { subresources: ['status'] }),
];

/** A fresh copy of the built-in table: core first, then the groups in the order the real `/apis` lists them. */
export function builtinResourceDefinitions(): BuiltinDefinition[] {
  return rows.map(definition);
}
