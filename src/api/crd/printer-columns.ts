/**
 * Server-side printing of custom resources, as apiextensions-apiserver's
 * table convertor does it: a Name column, then the version's
 * additionalPrinterColumns (or a single Age column when it declares none),
 * each cell the first match of the column's JSONPath, converted to the
 * column's type (api/jsonpath's printerCell); dates become ages.
 */
import { compileJsonPath, printerCell } from '../jsonpath.js';
import type { KubeObject, RowRenderer, TableColumn } from '../types.js';
import type { CrdPrinterColumn, CrdVersion } from './crd-types.js';

// ObjectMeta's descriptions of name and creationTimestamp, which the apiserver uses for these columns.
const nameDescription =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const creationTimestampDescription =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const defaultColumns: CrdPrinterColumn[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: creationTimestampDescription },
];

const printerColumnsOf = (version: CrdVersion): CrdPrinterColumn[] =>
  version.additionalPrinterColumns?.length ? version.additionalPrinterColumns : defaultColumns;

export function tableColumns(version: CrdVersion): TableColumn[] {
  return [
    { name: 'Name', type: 'string', format: 'name', description: nameDescription, priority: 0 },
    ...printerColumnsOf(version).map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
  ];
}

export function rowRenderer(version: CrdVersion): RowRenderer {
  // Parse each column's path once; the renderer runs for every row of every table.
  const columns = printerColumnsOf(version).map((c) => ({ type: c.type, evaluate: compileJsonPath(c.jsonPath) }));
  return (obj: KubeObject, now: Date) => [
    obj.metadata.name ?? '',
    ...columns.map(({ type, evaluate }) => {
      const results = evaluate(obj);
      return results.length === 0 ? null : printerCell(type, results[0], now);
    }),
  ];
}
