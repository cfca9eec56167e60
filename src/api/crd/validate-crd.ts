/**
 * The essentials of apiextensions' validation of a CustomResourceDefinition
 * (v1, after defaulting): what the emulator needs to refuse a CRD it could not
 * serve, worded as kube-apiserver words it.
 */
import type { FieldError } from '../errors.js';
import { invalidValue, notSupported, required } from '../builtins/field-errors.js';
import type { KubeObject } from '../types.js';
import { crdSpec, type CrdNames, type CrdSpec } from './crd-types.js';
import { validateCrdRules } from './validate-crd-rules.js';

export function validateCrd(crd: KubeObject): FieldError[] {
  const spec: Partial<CrdSpec> = crdSpec(crd) ?? {};
  const errors: FieldError[] = [];
  const name = crd.metadata?.name;
  const names: Partial<CrdNames> = spec.names ?? {};
  const versions = spec.versions ?? [];
  if (!name) errors.push(required('metadata.name', 'name or generateName is required'));
  else if (name !== `${names.plural}.${spec.group}`)
    errors.push(invalidValue('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (!spec.group) errors.push(required('spec.group'));
  else if (!spec.group.includes('.')) errors.push(invalidValue('spec.group', spec.group, 'should be a domain with at least one dot'));
  if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced')
    errors.push(notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  versions.forEach((version, i) => {
    if (!version.schema?.openAPIV3Schema) errors.push(required(`spec.versions[${i}].schema.openAPIV3Schema`));
  });
  if (new Set(versions.map((v) => v.name)).size !== versions.length)
    errors.push(invalidValue('spec.versions', versions, 'must contain unique version names'));
  if (versions.filter((v) => v.storage).length !== 1)
    errors.push(invalidValue('spec.versions', versions, 'must have exactly one version marked as storage version'));
  if (!names.plural) errors.push(required('spec.names.plural'));
  if (!names.kind) errors.push(required('spec.names.kind'));
  errors.push(...validateCrdRules(versions));
  return errors;
}
