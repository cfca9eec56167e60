/**
 * Tables of custom resources, as apiextensions-apiserver's table convertor
 * builds them: Name, then the version's additionalPrinterColumns (or a single
 * Age column when it declares none), each cell evaluated from its JSONPath.
 */
import { compileJsonPath, printerCell } from '../jsonpath.js';
import type { KubeObject, TableColumn } from '../types.js';
import { column, creationTimestampDoc, nameColumn, nameOf } from './columns.js';
import type { TableDefinition } from './printer.js';

/** apiextensions.k8s.io/v1 CustomResourceColumnDefinition. */
export interface PrinterColumnDefinition {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** serveDefaultColumnsIfEmpty. */
const defaultColumns = (): PrinterColumnDefinition[] => [
  { name: 'Age', type: 'date', description: creationTimestampDoc(), jsonPath: '.metadata.creationTimestamp' },
];

export function customResourceTable(printerColumns: PrinterColumnDefinition[] | undefined): TableDefinition {
  const definitions = printerColumns?.length ? printerColumns : defaultColumns();
  const paths = definitions.map((d) => compileJsonPath(`{${d.jsonPath}}`));
  const columns: TableColumn[] = [
    nameColumn(),
    ...definitions.map((d) =>
      column(
        d.name,
        d.type as TableColumn['type'],
        d.description || `Custom resource definition column (in JSONPath format): ${d.jsonPath}`,
        d.priority ?? 0,
        d.format ?? '',
      ),
    ),
  ];
  return {
    columns,
    renderRow: (o: KubeObject, now: Date) => [
      nameOf(o),
      ...paths.map((path, i) => {
        const results = path(o);
        return results.length === 0 ? null : printerCell(definitions[i].type, results[0], now);
      }),
    ],
  };
}
