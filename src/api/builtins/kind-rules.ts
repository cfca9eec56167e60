/**
 * What each built-in kind does on top of the generic write path, mirroring
 * the kube-apiserver registry strategies and v1 defaulters. A kind not listed
 * here gets no defaults and only the DNS-subdomain name rule.
 */
import type { FieldError } from '../errors.js';
import { invalidValue, immutable, notSupported, required } from './field-errors.js';
import { asObject, child, objectAt, objectsIn, setDefault, type JsonObject } from './json.js';
import { validateDns1035LabelName, validateDnsLabelName, validatePathSegmentName, type NameValidator } from './names.js';
import type { CrdVersion } from '../crd/crd-types.js';
import { validateCrdRules } from '../crd/validate-crd-rules.js';
import { compilePolicy, type PolicySpec } from '../cel/policy.js';
import { coreEventRules, eventsV1EventRules } from './event-defaults.js';
import { validateEventsV1Create } from './event-validation.js';
import { defaultPersistentVolumeClaim, defaultPod, podQosClass } from './pod-defaults.js';
import { validatePodSpec, validatePodSpecUpdate, validateTemplateRestartPolicy } from './pod-validation.js';
import { validateDataKeys, validateImmutableData, validateServiceSpec, validateServiceUpdate } from './core-validation.js';
import {
  copyTemplateLabelsIfUnlabelled,
  defaultCronJob,
  defaultDaemonSet,
  defaultDeployment,
  defaultJob,
  defaultReplicaSet,
  defaultReplicationController,
  defaultStatefulSet,
} from './workload-defaults.js';
import { validateReplicas, validateSelectedTemplate, validateSelectorUnchanged } from './workload-validation.js';

export interface KindRules {
  /** The metadata.name rule; null for kinds that are never stored under a name (reviews). Default: DNS subdomain. */
  name?: NameValidator | null;
  tracksGeneration?: boolean;
  /** Defaulting, run on every write as the apiserver defaults on every decode. */
  defaults?(obj: JsonObject): void;
  /** Whether `defaults` has nothing to add to `obj`: then a write needs no private copy (a cheap check, run first). */
  isDefaulted?(obj: JsonObject): boolean;
  /** What PrepareForCreate adds once defaults are in: initial status, generated fields. */
  onCreate?(obj: JsonObject): void;
  /** What PrepareForUpdate carries over from the stored object. */
  onUpdate?(obj: JsonObject, old: JsonObject): void;
  /** Kind-specific checks after the name rule. */
  validate?(obj: JsonObject, old?: JsonObject): FieldError[];
}

/** The spec, created when absent: for defaulting a private copy. */
const mutableSpec = (obj: JsonObject): JsonObject => child(obj, 'spec');
/** Read-only view of the spec, for validation, which must not touch the object. */
const specOf = (obj: JsonObject): JsonObject => objectAt(obj, 'spec');

const appsRestart = ['Always'];
const jobRestart = ['OnFailure', 'Never'];

/** Deployments, ReplicaSets, StatefulSets and DaemonSets: a selector, a template, and a selector that never changes. */
function appsWorkload(owner: string, defaults: (obj: JsonObject) => void, initialStatus: JsonObject, withReplicas: boolean): KindRules {
  return {
    tracksGeneration: true,
    defaults,
    onCreate: (obj) => {
      obj.status = structuredClone(initialStatus);
    },
    validate: (obj, old) => [
      ...(withReplicas ? validateReplicas(specOf(obj)) : []),
      ...validateSelectedTemplate(specOf(obj), 'spec', owner, appsRestart),
      ...(old ? validateSelectorUnchanged(specOf(obj), specOf(old)) : []),
    ],
  };
}

const namespaceFinalizer = 'kubernetes';
const metadataNameLabel = 'kubernetes.io/metadata.name';

const namespaceRules: KindRules = {
  name: validateDnsLabelName,
  defaults: (ns) => {
    const metadata = child(ns, 'metadata');
    if (typeof metadata.name === 'string' && metadata.name) child(metadata, 'labels')[metadataNameLabel] = metadata.name;
  },
  onCreate: (ns) => {
    ns.status = { phase: 'Active' };
    const finalizers = Array.isArray(mutableSpec(ns).finalizers) ? (mutableSpec(ns).finalizers as unknown[]) : [];
    if (!finalizers.includes(namespaceFinalizer)) mutableSpec(ns).finalizers = [...finalizers, namespaceFinalizer];
  },
  // Finalizers change only through the finalize subresource.
  onUpdate: (ns, old) => {
    const finalizers = specOf(old).finalizers;
    if (finalizers === undefined) delete mutableSpec(ns).finalizers;
    else mutableSpec(ns).finalizers = structuredClone(finalizers);
  },
};

const podRules: KindRules = {
  defaults: defaultPod,
  onCreate: (pod) => {
    pod.status = { phase: 'Pending', qosClass: podQosClass(mutableSpec(pod)) };
  },
  validate: (pod, old) => [...validatePodSpec(specOf(pod), 'spec'), ...(old ? validatePodSpecUpdate(specOf(pod), specOf(old)) : [])],
};

/** Service fields the apiserver allocates; an update that leaves them out keeps the allocated values. */
const allocatedServiceFields = ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'];

const serviceRules: KindRules = {
  name: validateDns1035LabelName,
  defaults: (svc) => {
    const s = mutableSpec(svc);
    setDefault(s, 'sessionAffinity', 'None');
    if (s.sessionAffinity === 'None') delete s.sessionAffinityConfig;
    if (s.sessionAffinity === 'ClientIP') {
      const clientIP = child(child(s, 'sessionAffinityConfig'), 'clientIP');
      setDefault(clientIP, 'timeoutSeconds', 10800);
    }
    setDefault(s, 'type', 'ClusterIP');
    for (const port of objectsIn(s, 'ports')) {
      setDefault(port, 'protocol', 'TCP');
      if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
    }
    const externallyAccessible =
      s.type === 'NodePort' || s.type === 'LoadBalancer' || (Array.isArray(s.externalIPs) && s.externalIPs.length > 0);
    if (externallyAccessible && s.type !== 'ExternalName') setDefault(s, 'externalTrafficPolicy', 'Cluster');
    if (['ClusterIP', 'NodePort', 'LoadBalancer'].includes(String(s.type))) setDefault(s, 'internalTrafficPolicy', 'Cluster');
    if (s.type === 'LoadBalancer') setDefault(s, 'allocateLoadBalancerNodePorts', true);
  },
  onCreate: (svc) => {
    svc.status = { loadBalancer: {} };
    const s = mutableSpec(svc);
    // Single-stack IPv4, as on a default cluster; the cluster IP itself is allocated elsewhere.
    if (s.type !== 'ExternalName') {
      setDefault(s, 'ipFamilyPolicy', 'SingleStack');
      setDefault(s, 'ipFamilies', ['IPv4']);
    }
  },
  onUpdate: (svc, old) => {
    const s = mutableSpec(svc);
    const previous = specOf(old);
    if (s.type === 'ExternalName' || previous.type === 'ExternalName') return;
    for (const field of allocatedServiceFields)
      if (s[field] === undefined && previous[field] !== undefined) s[field] = structuredClone(previous[field]);
  },
  validate: (svc, old) => [...validateServiceSpec(specOf(svc)), ...(old ? validateServiceUpdate(specOf(svc), specOf(old)) : [])],
};

/**
 * `stringData` is write-only: kube's v1 -> internal conversion (Convert_v1_Secret_To_core_Secret) copies each value
 * into `data`, over a value of the same key, and the field is never stored or returned.
 */
function mergeStringData(secret: JsonObject): void {
  const stringData = secret.stringData;
  delete secret.stringData;
  if (stringData === null || typeof stringData !== 'object' || Array.isArray(stringData)) return;
  const data = child(secret, 'data');
  for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
}

const secretRules: KindRules = {
  defaults: (secret) => {
    setDefault(secret, 'type', 'Opaque');
    mergeStringData(secret);
  },
  validate: (secret, old) => {
    const errors = validateDataKeys(secret, ['data']);
    if (old) {
      if (secret.type !== old.type) errors.push(immutable('type', secret.type ?? ''));
      errors.push(...validateImmutableData(secret, old, ['data']));
    }
    return errors;
  },
};

const configMapRules: KindRules = {
  validate: (cm, old) => [
    ...validateDataKeys(cm, ['data', 'binaryData']),
    ...(old ? validateImmutableData(cm, old, ['data', 'binaryData']) : []),
  ],
};

const controllerUidLabel = 'batch.kubernetes.io/controller-uid';

/** Jobs select their pods by their own uid unless the user manages the selector (generateSelector in the job strategy). */
function generateJobSelector(job: JsonObject): void {
  const s = mutableSpec(job);
  setDefault(s, 'manualSelector', false);
  if (s.manualSelector === true) return;
  const metadata = child(job, 'metadata');
  const template = child(s, 'template');
  const labels = child(child(template, 'metadata'), 'labels');
  for (const key of ['job-name', 'batch.kubernetes.io/job-name']) setDefault(labels, key, metadata.name);
  for (const key of ['controller-uid', controllerUidLabel]) setDefault(labels, key, metadata.uid);
  setDefault(child(child(s, 'selector'), 'matchLabels'), controllerUidLabel, metadata.uid);
  // Read back from storage the Job is defaulted again, and then takes these template labels.
  copyTemplateLabelsIfUnlabelled(job, template);
}

const jobRules: KindRules = {
  tracksGeneration: true,
  defaults: defaultJob,
  onCreate: (job) => {
    generateJobSelector(job);
    job.status = {};
  },
  validate: (job, old) => {
    const s = specOf(job);
    const errors: FieldError[] = [];
    for (const field of ['parallelism', 'completions', 'backoffLimit']) {
      const value = s[field];
      if (typeof value === 'number' && value < 0) errors.push(invalidValue(`spec.${field}`, value, 'must be greater than or equal to 0'));
    }
    errors.push(...validateSelectedTemplate(s, 'spec', 'job', jobRestart));
    if (old) errors.push(...validateSelectorUnchanged(s, specOf(old)));
    return errors;
  },
};

const cronJobRules: KindRules = {
  tracksGeneration: true,
  defaults: defaultCronJob,
  onCreate: (cronJob) => {
    cronJob.status = {};
  },
  validate: (cronJob) => {
    const s = specOf(cronJob);
    const errors: FieldError[] = [];
    if (!s.schedule) errors.push(required('spec.schedule'));
    const podSpec = objectAt(objectAt(objectAt(objectAt(s, 'jobTemplate'), 'spec'), 'template'), 'spec');
    errors.push(...validatePodSpec(podSpec, 'spec.jobTemplate.spec.template.spec'));
    errors.push(...validateTemplateRestartPolicy(podSpec, 'spec.jobTemplate.spec.template.spec', jobRestart));
    return errors;
  },
};

const crdRules: KindRules = {
  tracksGeneration: true,
  defaults: (crd) => {
    const s = mutableSpec(crd);
    const names = child(s, 'names');
    if (typeof names.kind === 'string' && names.kind) {
      setDefault(names, 'singular', names.kind.toLowerCase());
      setDefault(names, 'listKind', `${names.kind}List`);
    }
    setDefault(s, 'conversion', { strategy: 'None' });
  },
  onCreate: (crd) => {
    const versions = objectsIn(mutableSpec(crd), 'versions');
    crd.status = { acceptedNames: { kind: '', plural: '' }, storedVersions: versions.filter((v) => v.storage === true).map((v) => v.name) };
  },
  validate: (crd) => {
    const s = specOf(crd);
    const names = objectAt(s, 'names');
    const expected = `${String(names.plural ?? '')}.${String(s.group ?? '')}`;
    const name = objectAt(crd, 'metadata').name;
    const ruleErrors = validateCrdRules(objectsIn(s, 'versions') as unknown as CrdVersion[]);
    return name === expected
      ? ruleErrors
      : [invalidValue('metadata.name', name ?? '', 'must be spec.names.plural+"."+spec.group'), ...ruleErrors];
  },
};

/** kube-aggregator's ValidateAPIService: a path segment that must read "<version>.<group>" ("v1." for the core group). */
const apiServiceRules: KindRules = {
  name: validatePathSegmentName,
  validate: (apiService) => {
    const s = specOf(apiService);
    const required = `${String(s.version ?? '')}.${String(s.group ?? '')}`;
    const name = objectAt(apiService, 'metadata').name;
    return name === required ? [] : [invalidValue('metadata.name', name ?? '', `must be \`spec.version+"."+spec.group\`: "${required}"`)];
  },
};

const review: KindRules = { name: null };
const rbacName: KindRules = { name: validatePathSegmentName };
const generationOnly: KindRules = { tracksGeneration: true };

/**
 * ValidateValidatingAdmissionPolicy (the fields the policy plugin relies on): matchConstraints and at least one
 * validation or audit annotation; a policy whose CEL does not compile is refused when written, with cel-go's message.
 */
const admissionPolicyRules: KindRules = {
  tracksGeneration: true,
  validate: (policy) => {
    const spec = specOf(policy);
    const errors: FieldError[] = [];
    if (!asObject(spec.matchConstraints)) errors.push(required('spec.matchConstraints'));
    if (!objectsIn(spec, 'validations').length && !objectsIn(spec, 'auditAnnotations').length)
      errors.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
    return [...errors, ...compilePolicy(spec as PolicySpec).errors];
  },
};

const VALIDATION_ACTIONS = ['Audit', 'Deny', 'Warn'];

/** validateValidatingAdmissionPolicyBindingSpec: the policy it binds and what to do with a failure. */
const admissionPolicyBindingRules: KindRules = {
  tracksGeneration: true,
  validate: (binding) => {
    const spec = specOf(binding);
    const errors: FieldError[] = [];
    if (typeof spec.policyName !== 'string' || spec.policyName === '') errors.push(required('spec.policyName'));
    const actions = Array.isArray(spec.validationActions) ? spec.validationActions : [];
    actions.forEach((action, i) => {
      if (!VALIDATION_ACTIONS.includes(action as string))
        errors.push(notSupported(`spec.validationActions[${i}]`, action, VALIDATION_ACTIONS));
    });
    if (actions.includes('Deny') && actions.includes('Warn')) {
      errors.push(
        invalidValue(
          'spec.validationActions',
          actions,
          'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
        ),
      );
    }
    if (actions.length === 0) errors.push(required('spec.validationActions', 'at least one validation action is required'));
    return errors;
  },
};

export const kindRules: Record<string, KindRules> = {
  '/Namespace': namespaceRules,
  '/Pod': podRules,
  '/Service': serviceRules,
  '/Secret': secretRules,
  '/ConfigMap': configMapRules,
  '/Event': coreEventRules,
  // ValidateEventUpdate's immutable fields are not checked here yet.
  'events.k8s.io/Event': { ...eventsV1EventRules, validate: (event, old) => (old ? [] : validateEventsV1Create(event)) },
  '/PersistentVolumeClaim': {
    defaults: (pvc) => setDefault(mutableSpec(pvc), 'volumeMode', 'Filesystem'),
    onCreate: (pvc) => {
      pvc.status = {};
      defaultPersistentVolumeClaim(pvc);
    },
  },
  '/PersistentVolume': {
    defaults: (pv) => {
      setDefault(mutableSpec(pv), 'persistentVolumeReclaimPolicy', 'Retain');
      setDefault(mutableSpec(pv), 'volumeMode', 'Filesystem');
    },
    onCreate: (pv) => {
      pv.status = { phase: 'Pending' };
    },
  },
  '/Endpoints': {
    defaults: (ep) => {
      for (const subset of objectsIn(ep, 'subsets')) for (const port of objectsIn(subset, 'ports')) setDefault(port, 'protocol', 'TCP');
    },
  },
  '/ReplicationController': {
    tracksGeneration: true,
    defaults: defaultReplicationController,
    onCreate: (rc) => {
      rc.status = { replicas: 0 };
    },
    validate: (rc) => {
      const template = asObject(specOf(rc).template);
      return [...validateReplicas(specOf(rc)), ...(template ? validatePodSpec(objectAt(template, 'spec'), 'spec.template.spec') : [])];
    },
  },
  'apps/Deployment': appsWorkload('deployment', defaultDeployment, {}, true),
  // Kubernetes words the ReplicaSet's empty-selector error as for a deployment.
  'apps/ReplicaSet': appsWorkload('deployment', defaultReplicaSet, { replicas: 0 }, true),
  'apps/StatefulSet': appsWorkload('statefulset', defaultStatefulSet, { replicas: 0, availableReplicas: 0 }, true),
  'apps/DaemonSet': appsWorkload(
    'daemonset',
    defaultDaemonSet,
    { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
    false,
  ),
  'batch/Job': jobRules,
  'batch/CronJob': cronJobRules,
  'autoscaling/HorizontalPodAutoscaler': generationOnly,
  'policy/PodDisruptionBudget': generationOnly,
  'networking.k8s.io/Ingress': generationOnly,
  'networking.k8s.io/NetworkPolicy': generationOnly,
  'discovery.k8s.io/EndpointSlice': generationOnly,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': generationOnly,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': generationOnly,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': admissionPolicyRules,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': admissionPolicyBindingRules,
  'apiextensions.k8s.io/CustomResourceDefinition': crdRules,
  'apiregistration.k8s.io/APIService': apiServiceRules,
  'rbac.authorization.k8s.io/Role': rbacName,
  'rbac.authorization.k8s.io/RoleBinding': rbacName,
  'rbac.authorization.k8s.io/ClusterRole': rbacName,
  'rbac.authorization.k8s.io/ClusterRoleBinding': rbacName,
  'authorization.k8s.io/SelfSubjectAccessReview': review,
  'authorization.k8s.io/SubjectAccessReview': review,
  'authorization.k8s.io/LocalSubjectAccessReview': review,
  'authorization.k8s.io/SelfSubjectRulesReview': review,
  'authentication.k8s.io/TokenReview': review,
  'authentication.k8s.io/SelfSubjectReview': review,
};
