/**
 * Schemas of every served type: built-ins from the Kubernetes OpenAPI
 * (structure only; their validation lives in the strategies), custom
 * resources from their CRD's openAPIV3Schema (defaulting, pruning and
 * validation too). Built lazily and cached per type.
 */
import { crdSchema } from './crd/schema.js';
import {
  definitionNameForGvk,
  kubernetesDefinitions,
  openApiV2SchemaNode,
  openApiV3SchemaNode,
  type OpenApiSchema,
  type SchemaNode,
} from './patch/schema-node.js';
import type { SchemaCatalog, TypeSchema } from './type-schema.js';
import type { KubeObject, ResourceType } from './types.js';
import { unknownFieldsOf } from './unknown-fields.js';

export class DefaultSchemaCatalog implements SchemaCatalog {
  private readonly cache = new WeakMap<ResourceType, TypeSchema>();

  /** @param crdOf finds the CRD object that serves a custom type. */
  constructor(private readonly crdOf: (type: ResourceType) => KubeObject | undefined) {}

  schemaFor(type: ResourceType): TypeSchema {
    let schema = this.cache.get(type);
    if (!schema) {
      schema = type.custom ? this.customSchema(type) : builtinSchema(type);
      this.cache.set(type, schema);
    }
    return schema;
  }

  private customSchema(type: ResourceType): TypeSchema {
    const crd = this.crdOf(type);
    const schema = crd ? crdSchema(crd, type.version) : undefined;
    const declared = crd
      ? (crd.spec as { versions: { name: string; schema?: { openAPIV3Schema?: OpenApiSchema } }[] }).versions.find(
          (v) => v.name === type.version,
        )
      : undefined;
    const openApi = declared?.schema?.openAPIV3Schema;
    return {
      node: openApi ? openApiV3SchemaNode(openApi) : undefined,
      applyDefaults: (obj) => schema?.applyDefaults(obj) ?? obj,
      prune: (obj) => schema?.prune(obj) ?? { object: obj, unknownFields: [] },
      validate: (obj) => schema?.validate(obj) ?? [],
      validateRules: schema?.hasRules() ? (obj, old) => schema.validateRules(obj, old) : undefined,
    };
  }
}

function builtinSchema(type: ResourceType): TypeSchema {
  const definition = definitionNameForGvk(type.group, type.version, type.kind);
  const node: SchemaNode | undefined = definition ? openApiV2SchemaNode(kubernetesDefinitions(), definition) : undefined;
  return {
    node,
    applyDefaults: (obj) => obj,
    // Built-in decoding drops unknown fields; they are listed for fieldValidation Strict/Warn.
    prune: (obj) => (node ? unknownFieldsOf(obj, node) : { object: obj, unknownFields: [] }),
    validate: () => [],
  };
}
