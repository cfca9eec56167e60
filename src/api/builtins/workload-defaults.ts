/**
 * Defaulting of the controller kinds (pkg/apis/apps/v1, batch/v1 and core/v1
 * defaults.go). Each function fills a private copy in place.
 */
import { defaultPersistentVolumeClaim, defaultPodTemplate } from './pod-defaults.js';
import { child, isObject, objectsIn, setDefault, type JsonObject } from './json.js';

export function defaultDeployment(deployment: JsonObject): void {
  const spec = child(deployment, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = child(strategy, 'rollingUpdate');
    setDefault(rollingUpdate, 'maxUnavailable', '25%');
    setDefault(rollingUpdate, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(child(spec, 'template'));
}

export function defaultReplicaSet(replicaSet: JsonObject): void {
  const spec = child(replicaSet, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(child(spec, 'template'));
}

export function defaultDaemonSet(daemonSet: JsonObject): void {
  const spec = child(daemonSet, 'spec');
  const strategy = child(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = child(strategy, 'rollingUpdate');
    setDefault(rollingUpdate, 'maxUnavailable', 1);
    setDefault(rollingUpdate, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(child(spec, 'template'));
}

export function defaultStatefulSet(statefulSet: JsonObject): void {
  const spec = child(statefulSet, 'spec');
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  if (!isObject(spec.updateStrategy) || !spec.updateStrategy.type) {
    spec.updateStrategy = { rollingUpdate: {}, ...(isObject(spec.updateStrategy) ? spec.updateStrategy : {}), type: 'RollingUpdate' };
  }
  const strategy = child(spec, 'updateStrategy');
  if (strategy.type === 'RollingUpdate' && isObject(strategy.rollingUpdate)) setDefault(strategy.rollingUpdate, 'partition', 0);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(child(spec, 'template'));
  for (const claim of objectsIn(spec, 'volumeClaimTemplates')) {
    setDefault(claim, 'apiVersion', 'v1');
    setDefault(claim, 'kind', 'PersistentVolumeClaim');
    const metadata = child(claim, 'metadata');
    if (!('creationTimestamp' in metadata)) metadata.creationTimestamp = null;
    defaultPersistentVolumeClaim(claim);
  }
}

export function defaultReplicationController(controller: JsonObject): void {
  const spec = child(controller, 'spec');
  const template = isObject(spec.template) ? spec.template : undefined;
  const templateLabels =
    template && isObject(template.metadata) && isObject(template.metadata.labels) ? template.metadata.labels : undefined;
  if (templateLabels) {
    if (!isObject(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...templateLabels };
    const metadata = child(controller, 'metadata');
    if (!isObject(metadata.labels) || Object.keys(metadata.labels).length === 0) metadata.labels = { ...templateLabels };
  }
  setDefault(spec, 'replicas', 1);
  if (template) defaultPodTemplate(template);
}

export function defaultJob(job: JsonObject): void {
  const spec = child(job, 'spec');
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  // JobPodReplacementPolicy is on by default since 1.29.
  setDefault(spec, 'podReplacementPolicy', isObject(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  const template = child(spec, 'template');
  defaultPodTemplate(template);
  copyTemplateLabelsIfUnlabelled(job, template);
}

/** A Job without labels of its own takes its pod template's. */
export function copyTemplateLabelsIfUnlabelled(job: JsonObject, template: JsonObject): void {
  const templateLabels = isObject(template.metadata) ? template.metadata.labels : undefined;
  const metadata = child(job, 'metadata');
  if (isObject(templateLabels) && (!isObject(metadata.labels) || Object.keys(metadata.labels).length === 0))
    metadata.labels = { ...templateLabels };
}

export function defaultCronJob(cronJob: JsonObject): void {
  const spec = child(cronJob, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jobTemplate = child(spec, 'jobTemplate');
  const metadata = child(jobTemplate, 'metadata');
  if (!('creationTimestamp' in metadata)) metadata.creationTimestamp = null;
  // Job defaults belong to Job objects; a CronJob's job template only gets pod template defaults.
  defaultPodTemplate(child(child(jobTemplate, 'spec'), 'template'));
}
