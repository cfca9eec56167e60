/**
 * metadata.managedFields as a table of managers and the fields each owns, and
 * back; plus the 409 an apply answers when it would take fields from others.
 */
import { StatusError, type StatusCause } from '../errors.js';
import type { ManagedFieldsEntry } from '../types.js';
import { FieldSet, pathString, type FieldPath } from './field-set.js';
import { pooledFieldsV1Id } from './fields-v1-pool.js';
import { GenerationalPool } from './generational-pool.js';

export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
  /** The stored entry this manager was read from, if this module built it: written back as it is while nothing in it changes. */
  entry?: ManagedFieldsEntry;
  /** Its managerIdentity, when already known. */
  id?: string;
}

/**
 * Who a manager is, as the fieldmanager's BuildManagerIdentifier has it: name,
 * operation and subresource, plus the API version for updaters (an applier
 * stays the same manager across versions). Never the time.
 */
export function managerIdentity(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Update' ? m.apiVersion : '', m.subresource ?? '']);
}

/**
 * The entries this module built (frozen, canonical: key order, fieldsType, a pooled fieldsV1), with their manager's
 * identity. An object's entries are read back on each of its writes, and most of them come out unchanged.
 */
const builtEntries = new WeakMap<ManagedFieldsEntry, string>();

/**
 * One frozen entry per manager, time (to the second) and fieldsV1 recently built, and the frozen one-entry list of
 * each: an in-process recorder writes hundreds of Events a second, each with the same single entry, so they share it
 * (about 250 bytes an Event) instead of holding a copy each. Bounded in two generations, as the fieldsV1 pool.
 */
const pooledEntries = new GenerationalPool<ManagedFieldsEntry>();
const loneEntryLists = new WeakMap<ManagedFieldsEntry, ManagedFieldsEntry[]>();

export function decodeManagedFields(entries: readonly ManagedFieldsEntry[]): Map<string, Manager> {
  const managers = new Map<string, Manager>();
  for (const entry of entries) {
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') continue;
    const builtId = builtEntries.get(entry);
    const manager: Manager = {
      manager: entry.manager ?? '',
      operation: entry.operation,
      apiVersion: entry.apiVersion ?? '',
      time: entry.time,
      subresource: entry.subresource,
      // A fieldsV1 this module encoded decodes to the set it was encoded from, without a walk.
      fields: FieldSet.fromFieldsV1(entry.fieldsV1),
      entry: builtId === undefined ? undefined : entry,
    };
    manager.id = builtId ?? managerIdentity(manager);
    managers.set(manager.id, manager);
  }
  return managers;
}

/** Seconds since the epoch of recent entry times, parsed once: every write sorts its object's entries by time. */
const secondsByTime = new Map<string, number>();

function secondsOf(time: string | undefined): number {
  if (!time) return 0;
  let seconds = secondsByTime.get(time);
  if (seconds === undefined) {
    if (secondsByTime.size >= 1024) secondsByTime.clear();
    seconds = Math.floor(Date.parse(time) / 1000);
    secondsByTime.set(time, seconds);
  }
  return seconds;
}

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Entries in the apiserver's order: Apply before Update, then by time, manager, apiVersion, subresource. When every
 * entry comes out as it was in `stored`, the answer is `stored` itself (frozen), so the new version shares it.
 */
export function encodeManagedFields(managers: Iterable<Manager>, stored: readonly ManagedFieldsEntry[] = []): ManagedFieldsEntry[] {
  const kept: Array<{ m: Manager; seconds: number }> = [];
  for (const m of managers) if (!m.fields.isEmpty()) kept.push({ m, seconds: secondsOf(m.time) });
  if (kept.length > 1) {
    kept.sort(
      ({ m: p, seconds: ps }, { m: q, seconds: qs }) =>
        compareStrings(p.operation, q.operation) ||
        ps - qs ||
        compareStrings(p.manager, q.manager) ||
        compareStrings(p.apiVersion, q.apiVersion) ||
        compareStrings(p.subresource ?? '', q.subresource ?? ''),
    );
  }
  const entries = kept.map(({ m }) => entryOf(m));
  const unchanged = entries.length === stored.length && entries.every((entry, i) => entry === stored[i]);
  if (unchanged) return stored as ManagedFieldsEntry[];
  return (entries.length === 1 && loneEntryLists.get(entries[0])) || entries;
}

/** A manager's entry: the one it was read from when nothing in it changed, else a new one. */
function entryOf(m: Manager): ManagedFieldsEntry {
  const fieldsV1 = m.fields.toFieldsV1();
  const was = m.entry;
  if (
    was &&
    was.fieldsV1 === fieldsV1 &&
    was.time === m.time &&
    was.manager === m.manager &&
    was.operation === m.operation &&
    was.apiVersion === m.apiVersion &&
    was.subresource === m.subresource
  ) {
    return was;
  }
  const id = m.id ?? managerIdentity(m);
  const fieldsId = pooledFieldsV1Id(fieldsV1);
  // Everything an entry holds but its fieldsV1 is in its key; a fieldsV1 outside the pool has no id, and no pooling.
  const key = fieldsId === undefined ? undefined : `${id}\u0000${m.apiVersion}\u0000${m.time ?? ''}\u0000${fieldsId}`;
  const pooled = key === undefined ? undefined : pooledEntries.get(key);
  if (pooled) return pooled;
  const entry: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
  if (m.time) entry.time = m.time;
  entry.fieldsType = 'FieldsV1';
  entry.fieldsV1 = fieldsV1;
  if (m.subresource) entry.subresource = m.subresource;
  builtEntries.set(entry, id);
  Object.freeze(entry);
  if (key !== undefined) {
    pooledEntries.add(key, entry);
    loneEntryLists.set(entry, Object.freeze([entry]) as ManagedFieldsEntry[]);
  }
  return entry;
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
