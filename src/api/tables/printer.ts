import type { RowRenderer, TableColumn } from '../types.js';

/**
 * One kind's server-side printing. Columns are built on demand because their
 * descriptions are read from the OpenAPI document. The apiserver always
 * prints the wide form, so every row carries the priority-1 cells too.
 */
export interface Printer {
  columns: () => TableColumn[];
  renderRow: RowRenderer;
}

/** What a resource type serves: its columns (Name first) and the renderer of its cells. */
export interface TableDefinition {
  columns: TableColumn[];
  renderRow: RowRenderer;
}
