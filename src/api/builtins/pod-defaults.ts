/**
 * Pod defaulting as pkg/apis/core/v1/defaults.go does it. `defaultPodSpec`
 * applies wherever a PodSpec appears (pods and every template);
 * `defaultPod` adds what only materializes on Pod objects.
 */
import { child, isObject, objectsIn, setDefault, type JsonObject } from './json.js';

/** The tag an image reference resolves to: "latest" when none is given, "" for a bare digest. */
function imageTag(image: string): string {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  // A colon before the last slash belongs to a registry host:port, not to a tag.
  if (colon > withoutDigest.lastIndexOf('/')) return withoutDigest.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

export const defaultImagePullPolicy = (image: string): string => (imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent');

function defaultProbe(probe: JsonObject): void {
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  const httpGet = probe.httpGet;
  if (isObject(httpGet)) {
    setDefault(httpGet, 'path', '/');
    setDefault(httpGet, 'scheme', 'HTTP');
  }
}

function defaultContainer(container: JsonObject): void {
  if (typeof container.image === 'string') setDefault(container, 'imagePullPolicy', defaultImagePullPolicy(container.image));
  setDefault(container, 'terminationMessagePath', '/dev/termination-log');
  setDefault(container, 'terminationMessagePolicy', 'File');
  // Go always writes the (struct-valued) resources field, even when empty.
  child(container, 'resources');
  for (const port of objectsIn(container, 'ports')) setDefault(port, 'protocol', 'TCP');
  for (const probeField of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = container[probeField];
    if (isObject(probe)) defaultProbe(probe);
  }
  for (const env of objectsIn(container, 'env')) {
    const fieldRef = isObject(env.valueFrom) ? env.valueFrom.fieldRef : undefined;
    if (isObject(fieldRef)) setDefault(fieldRef, 'apiVersion', 'v1');
  }
}

const volumeSourcesWithMode = ['secret', 'configMap', 'downwardAPI', 'projected'];
/** 0644, the mode Kubernetes gives projected files. */
const defaultFileMode = 420;

function defaultVolume(volume: JsonObject): void {
  const sources = Object.keys(volume).filter((k) => k !== 'name');
  if (sources.length === 0) volume.emptyDir = {};
  for (const source of volumeSourcesWithMode) {
    const s = volume[source];
    if (isObject(s)) setDefault(s, 'defaultMode', defaultFileMode);
  }
  if (isObject(volume.hostPath)) setDefault(volume.hostPath, 'type', '');
  if (isObject(volume.projected)) {
    for (const projection of objectsIn(volume.projected, 'sources')) {
      if (isObject(projection.serviceAccountToken)) setDefault(projection.serviceAccountToken, 'expirationSeconds', 3600);
    }
  }
}

export function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) objectsIn(spec, key).forEach(defaultContainer);
  objectsIn(spec, 'volumes').forEach(defaultVolume);
}

/** A PodTemplateSpec as the apiserver returns it: metadata always present, spec defaulted. */
export function defaultPodTemplate(template: JsonObject): void {
  // Go serializes the zero creationTimestamp of an embedded ObjectMeta as null.
  const metadata = child(template, 'metadata');
  if (!('creationTimestamp' in metadata)) metadata.creationTimestamp = null;
  defaultPodSpec(child(template, 'spec'));
}

/** Requests default to limits, only on Pods (not on templates). */
function defaultRequestsFromLimits(container: JsonObject): void {
  const resources = child(container, 'resources');
  if (!isObject(resources.limits)) return;
  const requests = child(resources, 'requests');
  for (const [name, quantity] of Object.entries(resources.limits)) if (!(name in requests)) requests[name] = quantity;
}

export function defaultPod(pod: JsonObject): void {
  const spec = child(pod, 'spec');
  defaultPodSpec(spec);
  for (const key of ['containers', 'initContainers']) objectsIn(spec, key).forEach(defaultRequestsFromLimits);
  setDefault(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const key of ['containers', 'initContainers']) {
      for (const container of objectsIn(spec, key)) {
        for (const port of objectsIn(container, 'ports')) if (!port.hostPort) port.hostPort = port.containerPort;
      }
    }
  }
}

const qosResources = ['cpu', 'memory'];

/** The QoS class the apiserver records at creation (pkg/apis/core/helper/qos). */
export function podQosClass(spec: JsonObject): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const containers = [...objectsIn(spec, 'containers'), ...objectsIn(spec, 'initContainers')];
  let anySet = false;
  let guaranteed = true;
  for (const container of containers) {
    const resources = isObject(container.resources) ? container.resources : {};
    const requests = isObject(resources.requests) ? resources.requests : {};
    const limits = isObject(resources.limits) ? resources.limits : {};
    for (const r of qosResources) {
      if (requests[r] !== undefined || limits[r] !== undefined) anySet = true;
      if (limits[r] === undefined || (requests[r] !== undefined && String(requests[r]) !== String(limits[r]))) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** A PersistentVolumeClaim's spec and status defaults (also for StatefulSet claim templates). */
export function defaultPersistentVolumeClaim(claim: JsonObject): void {
  setDefault(child(claim, 'spec'), 'volumeMode', 'Filesystem');
  setDefault(child(claim, 'status'), 'phase', 'Pending');
}
