/**
 * FieldErrors worded exactly as k8s.io/apimachinery's field.Error renders
 * them: `<Type>: <value>: <detail>`. The value is printed the way Go prints
 * it: strings quoted, numbers and booleans bare, nil as null.
 */
import { FieldError } from '../errors.js';

/** Go's `%#v` of a map[string]string, keys sorted as fmt sorts them. */
export function goStringMap(map: Record<string, string> | undefined): string {
  if (!map) return 'map[string]string(nil)';
  const entries = Object.keys(map)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(map[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/** A value printed raw (already in Go syntax) rather than quoted. */
export class GoLiteral {
  constructor(readonly text: string) {}
}

function formatValue(value: unknown): string {
  if (value instanceof GoLiteral) return value.text;
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // Structs have no faithful rendering outside Go; JSON is the closest readable form.
  return JSON.stringify(value);
}

const withDetail = (body: string, detail?: string): string => (detail ? `${body}: ${detail}` : body);

export const required = (field: string, detail?: string): FieldError =>
  new FieldError('FieldValueRequired', field, withDetail('Required value', detail));

export const invalidValue = (field: string, value: unknown, detail?: string): FieldError =>
  new FieldError('FieldValueInvalid', field, withDetail(`Invalid value: ${formatValue(value)}`, detail));

export const notSupported = (field: string, value: unknown, supported: string[]): FieldError =>
  new FieldError(
    'FieldValueNotSupported',
    field,
    withDetail(
      `Unsupported value: ${formatValue(value)}`,
      supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : undefined,
    ),
  );

export const duplicate = (field: string, value: unknown): FieldError =>
  new FieldError('FieldValueDuplicate', field, `Duplicate value: ${formatValue(value)}`);

export const forbidden = (field: string, detail: string): FieldError =>
  new FieldError('FieldValueForbidden', field, `Forbidden: ${detail}`);

/** The message Kubernetes gives when an immutable field changes. */
export const immutable = (field: string, value: unknown): FieldError => invalidValue(field, value, 'field is immutable');
