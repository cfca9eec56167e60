/** Serving CustomResourceDefinitions: their resource types, schemas and validation. */
export { crdResourceTypes } from './resource-types.js';
export { CrdSchema, crdSchema } from './schema.js';
export { validateCrd } from './validate-crd.js';
export type { CustomResourceDefinition, CrdSchemaNode, CrdSpec, CrdVersion } from './crd-types.js';
