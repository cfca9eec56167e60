/**
 * ObjectMeta validation as apimachinery's ValidateObjectMeta and
 * ValidateObjectMetaUpdate do it (pkg/api/validation/objectmeta.go,
 * pkg/apis/meta/v1/validation): the name by the kind's rule, generateName,
 * the namespace, labels, annotations, finalizers, owner references and
 * managed fields, with apimachinery's field paths and messages. Run on every
 * write of every kind, built-in or custom, after the body decoded (so every
 * field has its Go type already).
 */
import { GoLiteral, forbidden, invalidValue, required } from '../builtins/field-errors.js';
import { dns1123SubdomainMessages, maxLenError, regexError, validateDnsLabelName, type NameValidator } from '../builtins/names.js';
import { FieldError } from '../errors.js';
import type { ManagedFieldsEntry, ObjectMeta, OwnerReference } from '../types.js';

/** apimachinery's TotalAnnotationSizeLimitB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
/** apimachinery's FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNamePattern = new RegExp(`^${qualifiedNameFmt}$`);
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValuePattern = new RegExp(`^${labelValueFmt}$`);
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', " +
  'and must start and end with an alphanumeric character';
const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** validation.IsQualifiedName: label keys, annotation keys, finalizers. */
export function qualifiedNameMessages(value: string): string[] {
  const messages: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) messages.push('prefix part must be non-empty');
    else messages.push(...dns1123SubdomainMessages(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) messages.push('name part must be non-empty');
  else if (utf8Length(name) > 63) messages.push(`name part ${maxLenError(63)}`);
  if (!qualifiedNamePattern.test(name))
    messages.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`);
  return messages;
}

/** validation.IsValidLabelValue. */
function labelValueMessages(value: string): string[] {
  const messages: string[] = [];
  if (utf8Length(value) > 63) messages.push(maxLenError(63));
  if (!labelValuePattern.test(value)) messages.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return messages;
}

/**
 * Label and annotation maps, owner references, finalizers and managed fields found valid, when frozen: a stored
 * object's are, and an update that leaves them alone keeps the same value (structural sharing), so a status write
 * does not check the same entries again.
 */
const validLabels = new WeakSet<object>();
const validAnnotations = new WeakSet<object>();
const validOwnerReferences = new WeakSet<object>();
const validFinalizers = new WeakSet<object>();
const validManagedFields = new WeakSet<object>();

/** `check`'s errors for `value`, remembering in `valid` a frozen value that has none. */
function checkedOnce<T extends object>(valid: WeakSet<object>, value: T | undefined, check: (value: T) => FieldError[]): FieldError[] {
  if (!value || valid.has(value)) return [];
  const errors = check(value);
  if (errors.length === 0 && Object.isFrozen(value)) valid.add(value);
  return errors;
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  return checkedOnce(validLabels, labels, (map) => labelErrors(map, field));
}

function labelErrors(labels: Record<string, string>, field: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    errors.push(...qualifiedNameMessages(key).map((m) => invalidValue(field, key, m)));
    errors.push(...labelValueMessages(value).map((m) => invalidValue(field, value, m)));
  }
  return errors;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldError[] {
  return checkedOnce(validAnnotations, annotations, (map) => annotationErrors(map, field));
}

function annotationErrors(annotations: Record<string, string>, field: string): FieldError[] {
  const errors: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    // Annotation keys are qualified names in any case.
    errors.push(...qualifiedNameMessages(key.toLowerCase()).map((m) => invalidValue(field, key, m)));
    size += utf8Length(key) + utf8Length(value);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errors.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errors;
}

/** field.TooLong: the value is never printed. */
export const tooLong = (field: string, limit: number): FieldError =>
  new FieldError('FieldValueTooLong', field, `Too long: may not be more than ${limit} byte${limit === 1 ? '' : 's'}`);

/** schema.ParseGroupVersion's version: "v1", "apps/v1"; empty for "", "a/" or more than one slash. */
function versionOf(apiVersion: string): string {
  const parts = apiVersion.split('/');
  if (parts.length === 1) return parts[0];
  return parts.length === 2 ? parts[1] : '';
}

/** Go's %#v of owner references, as field.Invalid prints the list (pointers as Go prints them). */
function goOwnerReference(r: OwnerReference): string {
  const bool = (b: boolean | undefined) => (b === undefined ? '(*bool)(nil)' : '(*bool)(0xc000000000)');
  return (
    `v1.OwnerReference{APIVersion:${JSON.stringify(r.apiVersion ?? '')}, Kind:${JSON.stringify(r.kind ?? '')}, ` +
    `Name:${JSON.stringify(r.name ?? '')}, ` +
    `UID:${JSON.stringify(r.uid ?? '')}, Controller:${bool(r.controller)}, BlockOwnerDeletion:${bool(r.blockOwnerDeletion)}}`
  );
}

const goOwnerReferences = (refs: OwnerReference[]): GoLiteral =>
  new GoLiteral(`[]v1.OwnerReference{${refs.map(goOwnerReference).join(', ')}}`);

export function validateOwnerReferences(refs: OwnerReference[] | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = ref.apiVersion ?? '';
    const version = versionOf(apiVersion);
    if (!version) errors.push(invalidValue(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    if (!ref.kind) errors.push(invalidValue(`${field}.kind`, ref.kind ?? '', 'must not be empty'));
    if (!ref.name) errors.push(invalidValue(`${field}.name`, ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errors.push(invalidValue(`${field}.uid`, ref.uid ?? '', 'must not be empty'));
    if (apiVersion === 'v1' && ref.kind === 'Event')
      errors.push(invalidValue(field, new GoLiteral(goOwnerReference(ref)), '/v1, Kind=Event is disallowed from being an owner'));
    if (ref.controller === true) {
      const name = `${ref.kind ?? ''}/${ref.name ?? ''}`;
      if (firstController) {
        errors.push(
          invalidValue(
            field,
            goOwnerReferences(refs!),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`,
          ),
        );
      } else {
        firstController = name;
      }
    }
  }
  return errors;
}

export function validateFinalizers(finalizers: string[] | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const finalizer of finalizers ?? []) errors.push(...qualifiedNameMessages(finalizer).map((m) => invalidValue(field, finalizer, m)));
  if (finalizers?.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errors.push(invalidValue(field, new GoLiteral(goStrings(finalizers)), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errors;
}

const goStrings = (values: string[]): string => `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;

/**
 * Manager names found valid: a cluster has a few dozen managers, and every write's managed fields name them again.
 * Bounded, so a client inventing names costs memory no more than this.
 */
const validManagers = new Set<string>();
const MAX_VALID_MANAGERS = 1024;

/** ValidateFieldManager: at most 128 characters, all printable. */
export function validateFieldManager(manager: string, field: string): FieldError[] {
  if (validManagers.has(manager)) return [];
  const errors = fieldManagerErrors(manager, field);
  if (errors.length === 0 && validManagers.size < MAX_VALID_MANAGERS) validManagers.add(manager);
  return errors;
}

function fieldManagerErrors(manager: string, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (manager.length > FIELD_MANAGER_MAX_LENGTH) errors.push(tooLong(field, FIELD_MANAGER_MAX_LENGTH));
  let position = 0;
  for (const char of manager) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(char)) {
      const code = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      errors.push(invalidValue(field, manager, `invalid character U+${code} (at position ${position})`));
    }
    position += utf8Length(char);
  }
  return errors;
}

function validateManagedFields(entries: ManagedFieldsEntry[] | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  (entries ?? []).forEach((entry, i) => {
    // The entry's path is spelled only for an error: most entries have none.
    const at = () => `${field}[${i}]`;
    if (entry.operation !== 'Apply' && entry.operation !== 'Update')
      errors.push(invalidValue(`${at()}.operation`, entry.operation ?? '', 'must be `Apply` or `Update`'));
    if (entry.fieldsType && entry.fieldsType !== 'FieldsV1')
      errors.push(invalidValue(`${at()}.fieldsType`, entry.fieldsType, 'must be `FieldsV1`'));
    const manager = entry.manager ?? '';
    if (!validManagers.has(manager)) errors.push(...validateFieldManager(manager, `${at()}.manager`));
  });
  return errors;
}

export interface ObjectMetaRules {
  namespaced: boolean;
  /** The kind's name rule; null for kinds that are never stored under a name. */
  nameRule: NameValidator | null;
}

/**
 * ValidateObjectMeta (names already generated): generateName checked as a
 * name prefix, then the name, then what every kind shares.
 */
export function validateObjectMeta(meta: ObjectMeta, rules: ObjectMetaRules): FieldError[] {
  const errors: FieldError[] = [];
  if (rules.nameRule) {
    if (meta.generateName)
      errors.push(
        ...rules.nameRule(maskTrailingDash(meta.generateName), 'metadata.generateName').map((e) => withValue(e, meta.generateName!)),
      );
    if (!meta.name) errors.push(required('metadata.name', 'name or generateName is required'));
    else errors.push(...rules.nameRule(meta.name, 'metadata.name'));
  }
  if (rules.namespaced) {
    if (!meta.namespace) errors.push(required('metadata.namespace'));
    else errors.push(...validateDnsLabelName(meta.namespace, 'metadata.namespace'));
  } else if (meta.namespace) {
    errors.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  if ((meta.generation ?? 0) < 0) errors.push(invalidValue('metadata.generation', meta.generation, 'must be greater than or equal to 0'));
  errors.push(...validateLabels(meta.labels, 'metadata.labels'));
  errors.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  errors.push(
    ...checkedOnce(validOwnerReferences, meta.ownerReferences, (refs) => validateOwnerReferences(refs, 'metadata.ownerReferences')),
  );
  errors.push(...checkedOnce(validFinalizers, meta.finalizers, (finalizers) => validateFinalizers(finalizers, 'metadata.finalizers')));
  errors.push(
    ...checkedOnce(validManagedFields, meta.managedFields, (entries) => validateManagedFields(entries, 'metadata.managedFields')),
  );
  return errors;
}

/** ValidateObjectMetaUpdate's checks beyond the shared ones: no new finalizers on a terminating object. */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta): FieldError[] {
  if (!old.deletionTimestamp) return [];
  const extra = [...new Set((meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f)))].sort();
  if (extra.length === 0) return [];
  return [
    forbidden(
      'metadata.finalizers',
      `no new finalizers can be added if the object is being deleted, found new finalizers ${goStrings(extra)}`,
    ),
  ];
}

/** apimachinery's maskTrailingDash: a generateName prefix may end in '-', the generated name will not. */
const maskTrailingDash = (prefix: string): string => (prefix.length > 1 && prefix.endsWith('-') ? `${prefix.slice(0, -1)}a` : prefix);

/** A name error about the masked prefix, reported with the generateName the client sent. */
const withValue = (error: FieldError, value: string): FieldError =>
  new FieldError(error.reason, error.field, error.message.replace(/^Invalid value: "[^"]*"/, `Invalid value: ${JSON.stringify(value)}`));
