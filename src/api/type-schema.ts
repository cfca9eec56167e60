/**
 * What the generic registry needs to know about a type's schema: the
 * structure (for patches, field ownership and unknown-field detection) and,
 * for custom resources, defaulting, pruning and validation.
 */
import type { FieldError } from './errors.js';
import type { KubeObject, ResourceType } from './types.js';
import type { SchemaNode } from './patch/schema-node.js';

export interface TypeSchema {
  /** Structure of the object; undefined when the type has no published schema. */
  node?: SchemaNode;
  /** Applies schema defaults, returning a new object. */
  applyDefaults(obj: KubeObject): KubeObject;
  /** Drops fields the schema does not know and lists them (as `spec.foo`). */
  prune(obj: KubeObject): { object: KubeObject; unknownFields: string[] };
  /** Schema validation errors (type, enum, required, ...). */
  validate(obj: KubeObject): FieldError[];
  /** x-kubernetes-validations (CEL) errors, run when schema validation found nothing blocking; ratcheted failures as warnings. */
  validateRules?(obj: KubeObject, old: KubeObject | undefined): { errors: FieldError[]; warnings: string[] };
}

export interface SchemaCatalog {
  schemaFor(type: ResourceType): TypeSchema;
}
