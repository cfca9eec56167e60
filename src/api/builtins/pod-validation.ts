/**
 * The PodSpec checks a user meets most (pkg/apis/core/validation), with the
 * field paths and messages Kubernetes reports. Not the whole of ValidatePodSpec.
 */
import type { FieldError } from '../errors.js';
import { duplicate, forbidden, invalidValue, notSupported, required } from './field-errors.js';
import { canonicalJson, objectsIn, type JsonObject } from './json.js';
import { deepEqual } from '../patch/json.js';
import { validateDnsLabelName } from './names.js';

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
export const protocols = ['SCTP', 'TCP', 'UDP'];

export const portRangeMessage = 'must be between 1 and 65535, inclusive';

export const validPort = (port: unknown): boolean => Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535;

function validateContainer(container: JsonObject, path: string, names: Set<string>): FieldError[] {
  const errors: FieldError[] = [];
  const name = typeof container.name === 'string' ? container.name : '';
  if (!name) errors.push(required(`${path}.name`));
  else {
    errors.push(...validateDnsLabelName(name, `${path}.name`));
    if (names.has(name)) errors.push(duplicate(`${path}.name`, name));
    names.add(name);
  }
  if (!container.image) errors.push(required(`${path}.image`));
  objectsIn(container, 'ports').forEach((port, i) => {
    const portPath = `${path}.ports[${i}]`;
    if (!validPort(port.containerPort)) errors.push(invalidValue(`${portPath}.containerPort`, port.containerPort ?? 0, portRangeMessage));
    if (port.protocol !== undefined && !protocols.includes(String(port.protocol)))
      errors.push(notSupported(`${portPath}.protocol`, port.protocol, protocols));
  });
  if (container.imagePullPolicy !== undefined && !pullPolicies.includes(String(container.imagePullPolicy))) {
    errors.push(notSupported(`${path}.imagePullPolicy`, container.imagePullPolicy, pullPolicies));
  }
  return errors;
}

/** Checks a PodSpec found at `path` ("spec" on a Pod, "spec.template.spec" on a Deployment, ...). */
export function validatePodSpec(spec: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const volumeNames = new Set<string>();
  objectsIn(spec, 'volumes').forEach((volume, i) => {
    const name = typeof volume.name === 'string' ? volume.name : '';
    const namePath = `${path}.volumes[${i}].name`;
    if (!name) errors.push(required(namePath));
    else {
      errors.push(...validateDnsLabelName(name, namePath));
      if (volumeNames.has(name)) errors.push(duplicate(namePath, name));
      volumeNames.add(name);
    }
  });
  // Init and regular containers share one namespace of names.
  const containerNames = new Set<string>();
  objectsIn(spec, 'initContainers').forEach((c, i) => {
    errors.push(...validateContainer(c, `${path}.initContainers[${i}]`, containerNames));
  });
  const containers = objectsIn(spec, 'containers');
  if (containers.length === 0) errors.push(required(`${path}.containers`));
  containers.forEach((c, i) => {
    errors.push(...validateContainer(c, `${path}.containers[${i}]`, containerNames));
  });
  if (spec.restartPolicy !== undefined && !restartPolicies.includes(String(spec.restartPolicy))) {
    errors.push(notSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  }
  if (spec.dnsPolicy !== undefined && !dnsPolicies.includes(String(spec.dnsPolicy)))
    errors.push(notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, dnsPolicies));
  return errors;
}

/** A template's pods must restart as `allowed` says (Always for apps, OnFailure/Never for jobs). */
export function validateTemplateRestartPolicy(spec: JsonObject, path: string, allowed: string[]): FieldError[] {
  const policy = spec.restartPolicy;
  return allowed.includes(String(policy)) ? [] : [notSupported(`${path}.restartPolicy`, policy, allowed)];
}

const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** The spec with the fields an update may change blanked out, for comparison. */
function frozenPart(spec: JsonObject): string {
  const blankImages = (key: string) => objectsIn(spec, key).map((c) => ({ ...c, image: undefined }));
  return canonicalJson({
    ...spec,
    containers: blankImages('containers'),
    initContainers: blankImages('initContainers'),
    activeDeadlineSeconds: undefined,
    tolerations: undefined,
    terminationGracePeriodSeconds: undefined,
  });
}

/**
 * A pod's spec is fixed once created, but for images, deadlines and added
 * tolerations. (Kubernetes appends a diff of the specs to this message.)
 */
export function validatePodSpecUpdate(spec: JsonObject, old: JsonObject): FieldError[] {
  // Most pod updates leave the spec as it was; only a changed one needs the canonical comparison.
  if (deepEqual(spec, old) || frozenPart(spec) === frozenPart(old)) return [];
  return [forbidden('spec', `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}`)];
}
