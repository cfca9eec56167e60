/**
 * metadata.managedFields as a table of managers and the fields each owns, and
 * back; plus the 409 an apply answers when it would take fields from others.
 */
import { StatusError, type StatusCause } from '../errors.js';
import type { ManagedFieldsEntry } from '../types.js';
import { FieldSet, pathString, type FieldPath, type FieldsV1 } from './field-set.js';

export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
  /** The entry's stored encoding and what it decoded to: while `fields` is still that set, the encoding is reused. */
  decoded?: { fields: FieldSet; fieldsV1: FieldsV1 };
}

/**
 * Who a manager is, as the fieldmanager's BuildManagerIdentifier has it: name,
 * operation and subresource, plus the API version for updaters (an applier
 * stays the same manager across versions). Never the time.
 */
export function managerIdentity(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Update' ? m.apiVersion : '', m.subresource ?? '']);
}

/** Encodings this module made (canonical, as a client's need not be). */
const encodings = new WeakSet<object>();

/** An encoding of ours that has since been stored (frozen), so the next version may share it. */
const isReusable = (fieldsV1: unknown): fieldsV1 is FieldsV1 =>
  typeof fieldsV1 === 'object' && fieldsV1 !== null && encodings.has(fieldsV1) && Object.isFrozen(fieldsV1);

function encode(m: Manager): FieldsV1 {
  if (m.decoded?.fields === m.fields) return m.decoded.fieldsV1;
  const fieldsV1 = m.fields.toFieldsV1();
  encodings.add(fieldsV1);
  return fieldsV1;
}

export function decodeManagedFields(entries: readonly ManagedFieldsEntry[]): Map<string, Manager> {
  const managers = new Map<string, Manager>();
  for (const entry of entries) {
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') continue;
    const fields = FieldSet.fromFieldsV1(entry.fieldsV1);
    const manager: Manager = {
      manager: entry.manager ?? '',
      operation: entry.operation,
      apiVersion: entry.apiVersion ?? '',
      time: entry.time,
      subresource: entry.subresource,
      fields,
      decoded: isReusable(entry.fieldsV1) ? { fields, fieldsV1: entry.fieldsV1 } : undefined,
    };
    managers.set(managerIdentity(manager), manager);
  }
  return managers;
}

/** Entries in the apiserver's order: Apply before Update, then by time, manager, apiVersion, subresource. */
export function encodeManagedFields(managers: Iterable<Manager>): ManagedFieldsEntry[] {
  const seconds = (time?: string) => (time ? Math.floor(Date.parse(time) / 1000) : 0);
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  // Each entry's time parsed once, not at every comparison of the sort.
  return [...managers]
    .filter((m) => !m.fields.isEmpty())
    .map((m) => ({ m, seconds: seconds(m.time) }))
    .sort(
      ({ m: p, seconds: ps }, { m: q, seconds: qs }) =>
        compare(p.operation, q.operation) ||
        ps - qs ||
        compare(p.manager, q.manager) ||
        compare(p.apiVersion, q.apiVersion) ||
        compare(p.subresource ?? '', q.subresource ?? ''),
    )
    .map(({ m }) => {
      const entry: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
      if (m.time) entry.time = m.time;
      entry.fieldsType = 'FieldsV1';
      entry.fieldsV1 = encode(m);
      if (m.subresource) entry.subresource = m.subresource;
      return entry;
    });
}

export interface Conflict {
  manager: Manager;
  path: FieldPath;
}

/** How conflict messages name a manager: `"kubectl"`, `"kube-controller-manager" using apps/v1`. */
function describeManager(m: Manager): string {
  let described = JSON.stringify(m.manager);
  if (m.subresource) described += ` with subresource ${JSON.stringify(m.subresource)}`;
  return m.operation === 'Update' ? `${described} using ${m.apiVersion}` : described;
}

/** The 409 of an apply that would change fields other managers own (apimachinery's NewApplyConflict). */
export function applyConflict(conflicts: readonly Conflict[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: pathString(c.path),
  }));
  if (conflicts.length === 1) {
    const [only] = conflicts;
    return new StatusError(
      409,
      'Conflict',
      `Apply failed with 1 conflict: conflict with ${describeManager(only.manager)}: ${pathString(only.path)}`,
      { causes },
    );
  }
  const byManager = new Map<string, Conflict[]>();
  for (const c of conflicts) {
    const id = managerIdentity(c.manager);
    byManager.set(id, [...(byManager.get(id) ?? []), c]);
  }
  const lines = [...byManager.keys()].sort().flatMap((id) => {
    const group = byManager.get(id) as Conflict[];
    return [`conflicts with ${describeManager(group[0].manager)}:`, ...group.map((c) => `- ${pathString(c.path)}`)];
  });
  return new StatusError(409, 'Conflict', `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, { causes });
}
