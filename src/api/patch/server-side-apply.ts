/**
 * Server-side apply and field ownership (metadata.managedFields), after
 * structured-merge-diff's Updater as the apiserver's fieldmanager drives it.
 *
 * Apply: the configuration's fields become the applier's set; fields it set
 * before but left out now are removed unless someone else owns them; changing
 * a field another manager owns is a conflict unless forced, and forcing takes
 * the field away from them. Update: whatever a write changed becomes the
 * writer's, and stops being anyone else's.
 */
import type { KubeObject, ManagedFieldsEntry } from '../types.js';
import { FieldSet, type FieldPath } from './field-set.js';
import { isJsonObject, deepEqual, type JsonObject, type JsonValue } from './json.js';
import { applyConflict, decodeManagedFields, encodeManagedFields, managerIdentity, type Conflict, type Manager } from './managed-fields.js';
import type { SchemaNode } from './schema-node.js';
import { compareObjects, fieldSetOf as typedFieldSetOf, mergeApplied, removeFields, type FieldDiff } from './typed-value.js';

/** Fields nobody owns: identity and server-maintained metadata (the fieldmanager's stripMeta). */
const UNOWNED = FieldSet.of([
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map(
    (f) => ['f:metadata', `f:${f}`],
  ),
]);

/** The fields an object sets, in FieldSet form, without the ones nobody owns. */
export function fieldSetOf(obj: unknown, schema: SchemaNode | undefined): FieldSet {
  return typedFieldSetOf((obj ?? {}) as JsonValue, schema, UNOWNED);
}

export interface ApplyInput {
  /** The stored object, or undefined when the apply creates it. */
  live: KubeObject | undefined;
  /** The configuration sent with application/apply-patch+yaml. */
  applied: unknown;
  manager: string;
  force: boolean;
  schema: SchemaNode | undefined;
  /** RFC 3339 time recorded on the entries this apply touches. */
  now: string;
  /** The API version of the request, e.g. "apps/v1". */
  apiVersion: string;
  subresource?: string;
  /** Ownership before the apply; defaults to live.metadata.managedFields. */
  managedFields?: readonly ManagedFieldsEntry[];
  /**
   * Completes the merged object as the apiserver's decoding would (defaults),
   * so a field the configuration leaves to its default is no change of value.
   */
  normalize?: (merged: JsonObject) => JsonObject;
}

export interface ApplyResult {
  object: KubeObject;
  managedFields: ManagedFieldsEntry[];
}

export function applyConfiguration(input: ApplyInput): ApplyResult {
  const { manager, schema, subresource } = input;
  const stored = input.managedFields ?? input.live?.metadata.managedFields ?? [];
  const managers = decodeManagedFields(stored);
  const live = withoutManagedFields(input.live ?? {});
  const applier: Manager = {
    manager,
    operation: 'Apply',
    apiVersion: input.apiVersion,
    subresource,
    fields: fieldSetOf(input.applied, schema),
  };
  const applierId = managerIdentity(applier);
  const previous = managers.get(applierId);
  managers.set(applierId, applier);

  let merged = mergeApplied(live, withoutManagedFields(input.applied), schema);
  if (previous) merged = removeFields(merged, droppedFields(previous.fields, managers.values()), schema);
  if (input.normalize) merged = input.normalize(merged as JsonObject);

  const diff = ownableDiff(live, merged, schema);
  const conflicts = takeChangedFields(managers, applierId, diff, input.force);
  if (conflicts.length > 0) throw applyConflict(conflicts);

  const changed = !deepEqual(live, merged);
  // An apply that changes nothing keeps the applier's time, as the fieldmanager treats it as a no-op.
  applier.time = changed || !previous?.time ? input.now : previous.time;
  const managedFields = encodeManagedFields(managers.values(), stored);
  return { object: withManagedFields(merged as JsonObject, managedFields), managedFields };
}

/**
 * Fields the applier owned but no longer configures, less everything someone
 * (the applier included) still owns at or below them.
 */
function droppedFields(previous: FieldSet, owners: Iterable<Manager>): FieldSet {
  const stillOwned = [...owners].reduce((all, m) => all.union(m.fields), new FieldSet());
  return FieldSet.of(previous.paths().filter((path) => !stillOwned.hasAnyUnder(path)));
}

/**
 * Takes the fields a write changes away from every other manager, and the
 * removed ones too. Without `force`, changed fields that others own are
 * returned as conflicts and nothing is taken.
 */
function takeChangedFields(managers: Map<string, Manager>, writerId: string, diff: FieldDiff, force: boolean): Conflict[] {
  const changed = diff.added.union(diff.modified);
  const conflicts: Conflict[] = [];
  for (const [id, other] of managers) {
    if (id === writerId) continue;
    conflicts.push(
      ...other.fields
        .intersection(changed)
        .paths()
        .map((path: FieldPath) => ({ manager: other, path })),
    );
  }
  if (conflicts.length > 0 && !force) return conflicts;
  for (const [id, other] of managers) {
    if (id === writerId) continue;
    other.fields = other.fields.difference(changed).difference(diff.removed);
    if (other.fields.isEmpty()) managers.delete(id);
  }
  return [];
}

export interface UpdateInput {
  /** The object before the write; undefined on create. */
  before: KubeObject | undefined;
  after: KubeObject;
  manager: string;
  operation: 'Update' | 'Apply';
  subresource?: string;
  schema: SchemaNode | undefined;
  now: string;
  apiVersion: string;
  /** Ownership before the write; defaults to before.metadata.managedFields. */
  managedFields?: readonly ManagedFieldsEntry[];
}

/** The managedFields after an ordinary write (create, update, patch) by `manager`. */
export function updateManagedFields(input: UpdateInput): ManagedFieldsEntry[] {
  const { manager, operation, subresource, schema } = input;
  const stored = input.managedFields ?? input.before?.metadata.managedFields ?? [];
  const managers = decodeManagedFields(stored);
  const diff = ownableDiff((input.before ?? {}) as JsonValue, input.after as unknown as JsonValue, schema);
  const writerId = managerIdentity({ manager, operation, apiVersion: input.apiVersion, subresource });
  takeChangedFields(managers, writerId, diff, true);

  const previous = managers.get(writerId);
  const fields = (previous?.fields ?? new FieldSet()).union(diff.added).union(diff.modified).difference(diff.removed);
  // The fieldmanager stamps the writer's time only when the write set something (managedFieldsUpdater.Update: the
  // "current-operation" manager owns added and modified fields); a write that only removed fields keeps its time.
  const touched = !(diff.added.isEmpty() && diff.modified.isEmpty());
  if (fields.isEmpty()) {
    managers.delete(writerId);
  } else {
    const time = touched || !previous?.time ? input.now : previous.time;
    managers.set(writerId, {
      manager,
      operation,
      apiVersion: input.apiVersion,
      subresource,
      time,
      fields,
      entry: previous?.entry,
      id: writerId,
    });
  }
  return encodeManagedFields(managers.values(), stored);
}

/** What a write changed, less the fields nobody owns (managedFields among them, so they are not even compared). */
function ownableDiff(before: JsonValue, after: JsonValue, schema: SchemaNode | undefined): FieldDiff {
  return compareObjects(before, after, schema, UNOWNED);
}

function withoutManagedFields(obj: unknown): JsonValue {
  if (!isJsonObject(obj) || !isJsonObject(obj.metadata) || !Object.hasOwn(obj.metadata, 'managedFields')) return (obj ?? {}) as JsonValue;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function withManagedFields(obj: JsonObject, managedFields: ManagedFieldsEntry[]): KubeObject {
  const metadata = isJsonObject(obj.metadata) ? { ...obj.metadata } : {};
  if (managedFields.length > 0) metadata.managedFields = managedFields as unknown as JsonValue;
  return { ...obj, metadata } as unknown as KubeObject;
}
