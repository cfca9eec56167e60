/**
 * The schema of one version of a CRD: structural defaulting, pruning and
 * validation as apiextensions-apiserver applies them to custom resources.
 * ajv compiles the validator on first use only (KubeVirt's schemas are
 * large), and each distinct schema only once per machine (compiled-validators.ts).
 */
import type { ValidateFunction } from 'ajv';
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../types.js';
import { toAjvSchema } from './ajv-schema.js';
import { compiledValidator } from './compiled-validators.js';
import { crdSpec, type CrdSchemaNode } from './crd-types.js';
import { applySchemaDefaults } from './defaults.js';
import { pruneObject } from './prune.js';
import { compileSchemaRules, type RuleNode } from './rules-compile.js';
import { validateRules } from './rules-validate.js';
import { schemaFieldErrors } from './schema-errors.js';
import { validationParts } from './validation-parts.js';

export class CrdSchema {
  /** Whether an object is valid, skipping the frozen parts already found valid. */
  private parts: { valid(value: unknown): boolean } | undefined;
  /** The whole schema's validator, for the errors of an invalid object. */
  private validator: ValidateFunction | undefined;
  /** The compiled x-kubernetes-validations rules: null until first needed, undefined when the schema has none. */
  private rules: RuleNode | undefined | null = null;

  /** @param schema the version's `openAPIV3Schema`; undefined accepts anything and keeps every field. */
  constructor(private readonly schema: CrdSchemaNode | undefined) {}

  /** Schema violations worded as the apiserver's field errors (`spec.replicas`, `Invalid value: ...`). */
  validate(obj: KubeObject): FieldError[] {
    if (!this.schema) return [];
    this.parts ??= validationParts(toAjvSchema(this.schema));
    if (this.parts.valid(obj)) return [];
    this.validator ??= compiledValidator(toAjvSchema(this.schema));
    return this.validator(obj) ? [] : schemaFieldErrors(this.validator.errors ?? [], obj);
  }

  /** Whether the schema has any x-kubernetes-validations rule (kube's CEL validator exists only then). */
  hasRules(): boolean {
    if (this.rules === null) this.rules = compileSchemaRules(this.schema);
    return this.rules !== undefined;
  }

  /** The CEL rules' errors on the (defaulted) object, and the warnings of ratcheted failures on update. */
  validateRules(obj: KubeObject, old: KubeObject | undefined): { errors: FieldError[]; warnings: string[] } {
    return this.hasRules() && this.rules ? validateRules(this.rules, obj, old) : { errors: [], warnings: [] };
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
