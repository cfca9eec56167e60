/**
 * Server-side printing: meta.k8s.io/v1 Tables for kubectl's human output,
 * with PartialObjectMetadata (or full objects when asked) in each row.
 */
import type { KubeObject, ResourceType } from '../api/types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: ResourceType['columns'];
  rows: { cells: unknown[]; object?: unknown }[];
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

export function parseIncludeObject(value: string | undefined): IncludeObject {
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export interface TableOptions {
  include: IncludeObject;
  now: Date;
  withColumns?: boolean;
  listMeta?: Table['metadata'];
}

/** The Table without its rows (which come last). */
export function tableHead(type: ResourceType, options: Omit<TableOptions, 'include' | 'now'>): Omit<Table, 'rows'> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMeta ?? {},
    columnDefinitions: options.withColumns === false ? [] : type.columns,
  };
}

export function tableRow(type: ResourceType, obj: KubeObject, options: Pick<TableOptions, 'include' | 'now'>): Table['rows'][number] {
  return { cells: type.renderRow(obj, options.now), object: rowObject(obj, options.include) };
}

export function toTable(type: ResourceType, objects: KubeObject[], options: TableOptions): Table {
  return { ...tableHead(type, options), rows: objects.map((obj) => tableRow(type, obj, options)) };
}
