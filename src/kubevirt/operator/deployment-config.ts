/**
 * KubeVirtDeploymentConfig: what an install is (namespace, registry,
 * version, images, spec-derived properties), written to the CR status as
 * JSON, and its ID, which names the install strategy.
 */
import { createHash } from 'node:crypto';
import { isGateEnabled, type KubeVirtSpec } from './feature-gates.js';
import type { OperatorIdentity } from './operator-identity.js';

export interface DeploymentConfig {
  id: string;
  namespace: string;
  registry: string;
  kubeVirtVersion: string;
  virtOperatorImage: string;
  additionalProperties: Record<string, string>;
}

/** Go renders a struct-valued spec field with `%v` of a reflect.Value: `<v1.Type Value>`. */
const structPlaceholder = (type: string): string => `<v1.${type} Value>`;

/** KubeVirtSpec fields by Go name, with the Go type of the struct-valued ones. */
const SPEC_FIELDS: Array<[goName: string, jsonName: string, structType?: string]> = [
  ['ImageTag', 'imageTag'],
  ['ImageRegistry', 'imageRegistry'],
  ['ImagePullPolicy', 'imagePullPolicy'],
  ['MonitorNamespace', 'monitorNamespace'],
  ['ServiceMonitorNamespace', 'serviceMonitorNamespace'],
  ['MonitorAccount', 'monitorAccount'],
  ['WorkloadUpdateStrategy', 'workloadUpdateStrategy', 'KubeVirtWorkloadUpdateStrategy'],
  ['UninstallStrategy', 'uninstallStrategy'],
  ['CertificateRotationStrategy', 'certificateRotateStrategy', 'KubeVirtCertificateRotateStrategy'],
  ['ProductVersion', 'productVersion'],
  ['ProductName', 'productName'],
  ['ProductComponent', 'productComponent'],
  ['Configuration', 'configuration', 'KubeVirtConfiguration'],
  ['Infra', 'infra', 'ComponentConfig'],
  ['Workloads', 'workloads', 'ComponentConfig'],
  ['CustomizeComponents', 'customizeComponents', 'CustomizeComponents'],
];

function additionalProperties(spec: KubeVirtSpec): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [goName, jsonName, structType] of SPEC_FIELDS) {
    const value = spec[jsonName];
    if (structType) properties[goName] = value === undefined ? '' : structPlaceholder(structType);
    else if (value !== undefined) properties[goName] = String(value);
  }
  properties.HypervisorName = 'kvm';
  // Beta gates the config reads: present with an empty value while on.
  if (isGateEnabled(spec, 'ExternalNetResourceInjection')) properties.ExternalNetResourceInjection = '';
  if (isGateEnabled(spec, 'Template') && spec.configuration?.virtTemplateDeployment?.enabled !== false)
    properties.VirtTemplateDeploymentEnabled = '';
  return properties;
}

export interface TargetImages {
  version: string;
  registry: string;
}

/** The target version/registry: the operator's own, unless the CR names an image tag or registry. */
export function targetImages(identity: OperatorIdentity, spec: KubeVirtSpec): TargetImages {
  return { version: spec.imageTag || identity.version, registry: spec.imageRegistry || identity.registry };
}

export function deploymentConfig(identity: OperatorIdentity, spec: KubeVirtSpec): DeploymentConfig {
  const target = targetImages(identity, spec);
  const config: Omit<DeploymentConfig, 'id'> = {
    namespace: identity.namespace,
    registry: target.registry,
    kubeVirtVersion: target.version,
    virtOperatorImage: identity.operatorImage,
    additionalProperties: additionalProperties(spec),
  };
  // generateInstallStrategyID: a sha1 over the config's values; treated as opaque by everyone who reads it.
  const id = createHash('sha1').update(JSON.stringify(config)).digest('hex');
  return { id, ...config };
}

/** Go's json.Marshal escapes <, > and & as \u003c, \u003e, \u0026. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}
