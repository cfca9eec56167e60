/**
 * The shapes every layer shares: Kubernetes objects as plain JSON, and the
 * description of a resource type that drives the generic handlers.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

/** Any Kubernetes object, kept as the JSON the API speaks. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** A column of a server-side Table (meta.k8s.io/v1 TableColumnDefinition). */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

/** Renders the Table cells of one object, in column order. */
export type RowRenderer = (obj: KubeObject, now: Date) => unknown[];

export interface SubresourceInfo {
  /** e.g. "status", "scale", "log", "binding", "eviction", "token". */
  name: string;
  /** The kind the subresource answers with, e.g. autoscaling/v1 Scale. */
  responseKind: GroupVersionKind;
  verbs: string[];
}

/**
 * One served group/version/resource. Built-ins come from a static table,
 * CRDs add one per served version once Established. Generic handlers serve
 * every row; nothing is routed per kind.
 */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  verbs: string[];
  subresources: SubresourceInfo[];
  /** Storage key shared by every version of the same resource: "<group>/<plural>". */
  storageKey: string;
  /** Server-side printing: columns (Name first) and a renderer of the cells. */
  columns: TableColumn[];
  renderRow: RowRenderer;
  /** Whether the type is served by a CustomResourceDefinition. */
  custom: boolean;
  /** Where the scale subresource reads and writes replicas (JSON paths such as `.spec.replicas`); built-ins use the defaults. */
  scale?: ScalePaths;
  /** A deprecated version: the warning every request to it is answered with (kubectl prints it as `Warning: ...`). */
  deprecationWarning?: string;
}

export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export const apiVersionOf = (group: string, version: string): string => (group ? `${group}/${version}` : version);

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
