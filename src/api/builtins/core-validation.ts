/** Checks of core/v1 kinds other than pods (pkg/apis/core/validation). */
import type { FieldError } from '../errors.js';
import { duplicate, forbidden, invalidValue, notSupported, required } from './field-errors.js';
import { canonicalJson, isObject, objectsIn, type JsonObject } from './json.js';
import { regexError, validateDnsLabelName } from './names.js';
import { portRangeMessage, protocols, validPort } from './pod-validation.js';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

export function validateServiceSpec(spec: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  const type = spec.type ?? 'ClusterIP';
  if (!serviceTypes.includes(String(type))) errors.push(notSupported('spec.type', type, serviceTypes));
  const ports = objectsIn(spec, 'ports');
  const headless = spec.clusterIP === 'None';
  if (type === 'ExternalName') {
    if (!spec.externalName) errors.push(required('spec.externalName'));
  } else if (ports.length === 0 && !headless) {
    errors.push(required('spec.ports'));
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const path = `spec.ports[${i}]`;
    const name = typeof port.name === 'string' ? port.name : '';
    // Names are needed only to tell several ports apart.
    if (ports.length > 1 && !name) errors.push(required(`${path}.name`));
    if (name) {
      errors.push(...validateDnsLabelName(name, `${path}.name`));
      if (names.has(name)) errors.push(duplicate(`${path}.name`, name));
      names.add(name);
    }
    if (!validPort(port.port)) errors.push(invalidValue(`${path}.port`, port.port ?? 0, portRangeMessage));
    if (port.protocol !== undefined && !protocols.includes(String(port.protocol)))
      errors.push(notSupported(`${path}.protocol`, port.protocol, protocols));
  });
  return errors;
}

/** A Service's cluster IP is fixed once allocated, unless the service turns into or out of an ExternalName. */
export function validateServiceUpdate(spec: JsonObject, old: JsonObject): FieldError[] {
  const externalName = old.type === 'ExternalName' || spec.type === 'ExternalName';
  if (!old.clusterIP || externalName || spec.clusterIP === old.clusterIP) return [];
  return [invalidValue('spec.clusterIPs[0]', spec.clusterIP ?? '', 'may not change once set')];
}

const configKeyFmt = '[-._a-zA-Z0-9]+';
const configKeyPattern = new RegExp(`^${configKeyFmt}$`);
const configKeyMessage = regexError(
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
  configKeyFmt,
  'key.name',
  'KEY_NAME',
  'key-name',
);

/** Keys of ConfigMap and Secret data. */
export function validateDataKeys(obj: JsonObject, fields: string[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of fields) {
    const data = obj[field];
    if (!isObject(data)) continue;
    for (const key of Object.keys(data)) {
      if (!configKeyPattern.test(key)) errors.push(invalidValue(`${field}[${key}]`, key, configKeyMessage));
      if (key === '.' || key === '..') errors.push(invalidValue(`${field}[${key}]`, key, `must not be '${key}'`));
    }
  }
  return errors;
}

/** ConfigMaps and Secrets marked immutable keep their data and cannot be made mutable again. */
export function validateImmutableData(obj: JsonObject, old: JsonObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errors: FieldError[] = [];
  if (obj.immutable !== true) errors.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const field of fields) {
    if (canonicalJson(obj[field] ?? null) !== canonicalJson(old[field] ?? null))
      errors.push(forbidden(field, 'field is immutable when `immutable` is set'));
  }
  return errors;
}
