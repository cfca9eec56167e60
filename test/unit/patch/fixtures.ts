/** Shared inputs for the patch engine tests: the virt-operator Deployment and the Deployment schema. */
import { projectYamlDocuments } from '../../helpers/project-yaml.js';
import { definitionNameForGvk, kubernetesDefinitions, openApiV2SchemaNode, type SchemaNode } from '../../../src/api/patch/index.js';
import type { KubeObject } from '../../../src/api/types.js';

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The virt-operator Deployment of KubeVirt's operator manifest, frozen like a stored object. */
export function virtOperatorDeployment(): KubeObject {
  const manifest = new URL('../../../schemas/kubevirt/manifests/kubevirt-operator.yaml', import.meta.url);
  const deployment = projectYamlDocuments<KubeObject>(manifest).find((obj) => obj.kind === 'Deployment');
  if (!deployment) throw new Error('no Deployment in kubevirt-operator.yaml');
  return deepFreeze(deployment);
}

export function schemaFor(group: string, version: string, kind: string): SchemaNode {
  const name = definitionNameForGvk(group, version, kind);
  const node = name && openApiV2SchemaNode(kubernetesDefinitions(), name);
  if (!node) throw new Error(`no schema for ${group}/${version} ${kind}`);
  return node;
}

export const deploymentSchema = (): SchemaNode => schemaFor('apps', 'v1', 'Deployment');

/** Reads a nested value by path, for terse assertions (any: tests index freely into plain JSON). */
export function at(value: unknown, ...path: (string | number)[]): any {
  return path.reduce<any>((v, key) => v?.[key], value);
}
