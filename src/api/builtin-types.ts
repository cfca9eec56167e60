/** The served built-in types: the resource table joined with each kind's server-side printer. */
import { builtinResourceDefinitions } from './builtins/resources.js';
import { builtinTable, defaultTable } from './tables/index.js';
import type { ResourceType } from './types.js';

export function builtinResourceTypes(): ResourceType[] {
  return builtinResourceDefinitions().map((definition) => {
    const table = builtinTable(definition.group, definition.kind) ?? defaultTable();
    return { ...definition, columns: table.columns, renderRow: table.renderRow };
  });
}
