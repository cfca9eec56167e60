/**
 * The parts of an apiextensions.k8s.io/v1 CustomResourceDefinition the server
 * reads, typed over the JSON the API stores.
 */
import type { KubeObject } from '../types.js';

/** An OpenAPI v3 schema node as a CRD declares it (structural schema, with `x-kubernetes-*` extensions). */
export interface CrdSchemaNode {
  type?: string;
  format?: string;
  description?: string;
  nullable?: boolean;
  default?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, CrdSchemaNode>;
  additionalProperties?: CrdSchemaNode | boolean;
  items?: CrdSchemaNode;
  allOf?: CrdSchemaNode[];
  anyOf?: CrdSchemaNode[];
  oneOf?: CrdSchemaNode[];
  not?: CrdSchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  [keyword: string]: unknown;
}

export interface CrdPrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema?: CrdSchemaNode };
  subresources?: {
    status?: Record<string, never>;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  };
  additionalPrinterColumns?: CrdPrinterColumn[];
}

export interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface CrdSpec {
  group: string;
  names: CrdNames;
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
  preserveUnknownFields?: boolean;
}

export interface CustomResourceDefinition extends KubeObject {
  spec: CrdSpec;
}

/** The spec of a CRD object; the caller has already decoded it as apiextensions.k8s.io/v1. */
export const crdSpec = (crd: KubeObject): CrdSpec => (crd as CustomResourceDefinition).spec;

export const listKindOf = (names: CrdNames): string => names.listKind ?? `${names.kind}List`;

export const servedVersions = (crd: KubeObject): CrdVersion[] => crdSpec(crd).versions.filter((v) => v.served);

/** The openAPIV3Schema of one version of a CRD, if the CRD and the version exist. */
export const crdVersionSchema = (crd: KubeObject | undefined, version: string): CrdSchemaNode | undefined =>
  crd ? crdSpec(crd).versions.find((v) => v.name === version)?.schema?.openAPIV3Schema : undefined;
