/**
 * The schema of one version of a CRD: structural defaulting, pruning and
 * validation as apiextensions-apiserver applies them to custom resources.
 * ajv compiles the validator on first use only (KubeVirt's schemas are
 * large), and each schema is compiled once for the life of the CRD object.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../types.js';
import { toAjvSchema } from './ajv-schema.js';
import { crdSpec, type CrdSchemaNode } from './crd-types.js';
import { applySchemaDefaults } from './defaults.js';
import { stringFormats } from './formats.js';
import { pruneObject } from './prune.js';
import { schemaFieldErrors } from './schema-errors.js';

let sharedAjv: Ajv | undefined;

function ajv(): Ajv {
  if (!sharedAjv) {
    // allErrors: the apiserver reports every violation; verbose: errors carry the offending data.
    sharedAjv = new Ajv({ allErrors: true, verbose: true, strict: false, validateSchema: false, addUsedSchema: false });
    for (const [name, format] of Object.entries(stringFormats)) sharedAjv.addFormat(name, format);
  }
  return sharedAjv;
}

export class CrdSchema {
  private validator: ValidateFunction | undefined;

  /** @param schema the version's `openAPIV3Schema`; undefined accepts anything and keeps every field. */
  constructor(private readonly schema: CrdSchemaNode | undefined) {}

  /** Schema violations worded as the apiserver's field errors (`spec.replicas`, `Invalid value: ...`). */
  validate(obj: KubeObject): FieldError[] {
    if (!this.schema) return [];
    this.validator ??= ajv().compile(toAjvSchema(this.schema));
    return this.validator(obj) ? [] : schemaFieldErrors(this.validator.errors ?? [], obj);
  }

  /** A new object with the schema's defaults applied (the input is left as it is). */
  applyDefaults(obj: KubeObject): KubeObject {
    return applySchemaDefaults(obj, this.schema) as KubeObject;
  }

  /** Drops fields the schema does not declare; `unknownFields` are their paths, sorted (`spec.foo`). */
  prune(obj: KubeObject): { object: KubeObject; unknownFields: string[] } {
    if (!this.schema) return { object: obj, unknownFields: [] };
    return pruneObject(obj, this.schema);
  }
}

const cache = new WeakMap<KubeObject, Map<string, CrdSchema>>();

/**
 * The schema of a served version of `crd`; undefined if the CRD has no such
 * version. Cached per CRD object: stored objects are immutable, so a changed
 * CRD is a new object and gets a fresh schema.
 */
export function crdSchema(crd: KubeObject, version: string): CrdSchema | undefined {
  let byVersion = cache.get(crd);
  if (!byVersion) cache.set(crd, (byVersion = new Map()));
  let schema = byVersion.get(version);
  if (!schema) {
    const declared = crdSpec(crd).versions.find((v) => v.name === version);
    if (!declared) return undefined;
    schema = new CrdSchema(declared.schema?.openAPIV3Schema);
    byVersion.set(version, schema);
  }
  return schema;
}
