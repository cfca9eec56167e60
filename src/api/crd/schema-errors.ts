/**
 * Words ajv's findings the way apiextensions-apiserver reports a custom
 * resource failing its schema: kube-openapi's messages (`spec.replicas in
 * body must be of type integer: "string"`) wrapped in field errors
 * (`Invalid value: "string": ...`, `Required value`, `Unsupported value`).
 */
import type { ErrorObject } from 'ajv';
import { FieldError } from '../errors.js';
import { invalidValue, notSupported, required } from '../builtins/field-errors.js';
import { childPath, pointerToFieldPath } from './json-path.js';

/** The JSON type kube-openapi names for a decoded value. */
function jsonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value; // string, boolean, object
}

const typeInvalid = (field: string, value: string, detail: string): FieldError =>
  new FieldError('FieldValueTypeInvalid', field, `Invalid value: ${JSON.stringify(value)}: ${detail}`);

const tooMany = (field: string, actual: number, max: number): FieldError =>
  new FieldError('FieldValueTooMany', field, `Too many: ${actual}: must have at most ${max} items`);

const tooLong = (field: string, max: number): FieldError =>
  new FieldError('FieldValueTooLong', field, `Too long: may not be more than ${max} bytes`);

/** kube-openapi reports a failed anyOf/oneOf/allOf/not against the root path, quoting the field in the message. */
const composite = (field: string, detail: string): FieldError => invalidValue('', '', `${JSON.stringify(field)} ${detail}`);

const combinators = new Set(['anyOf', 'oneOf']);

/**
 * For anyOf/oneOf, kube-openapi keeps the failures of one alternative, not of
 * all: keep those of the first and drop the others.
 */
function withoutOtherAlternatives(errors: ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((e) => combinators.has(e.keyword)).map((e) => e.schemaPath);
  return errors.filter((e) => alternatives.every((base) => !e.schemaPath.startsWith(`${base}/`) || e.schemaPath.startsWith(`${base}/0/`)));
}

function toFieldError(error: ErrorObject, root: unknown): FieldError {
  const path = pointerToFieldPath(root, error.instancePath);
  const params = error.params as Record<string, unknown>;
  const data = error.data;
  const at = `${path} in body`;
  switch (error.keyword) {
    case 'type': {
      const expected = ([] as string[]).concat(error.schema as string | string[]).filter((t) => t !== 'null');
      const actual = jsonTypeName(data);
      return typeInvalid(path, actual, `${at} must be of type ${expected.join(',')}: ${JSON.stringify(actual)}`);
    }
    case 'format':
      return typeInvalid(path, String(data), `${at} must be of type ${params.format}: ${JSON.stringify(data)}`);
    case 'required':
      return required(childPath(path, String(params.missingProperty)));
    case 'enum':
      return notSupported(
        path,
        data,
        (params.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
      );
    case 'maxLength':
      return tooLong(path, params.limit as number);
    case 'minLength':
      return invalidValue(path, data, `${at} should be at least ${params.limit} chars long`);
    case 'pattern':
      return invalidValue(path, data, `${at} should match '${params.pattern}'`);
    case 'minimum':
      return invalidValue(path, data, `${at} should be greater than or equal to ${params.limit}`);
    case 'exclusiveMinimum':
      return invalidValue(path, data, `${at} should be greater than ${params.limit}`);
    case 'maximum':
      return invalidValue(path, data, `${at} should be less than or equal to ${params.limit}`);
    case 'exclusiveMaximum':
      return invalidValue(path, data, `${at} should be less than ${params.limit}`);
    case 'multipleOf':
      return invalidValue(path, data, `${at} should be a multiple of ${params.multipleOf}`);
    case 'maxItems':
      return tooMany(path, (data as unknown[]).length, params.limit as number);
    case 'minItems':
      return invalidValue(path, (data as unknown[]).length, `${at} should have at least ${params.limit} items`);
    case 'uniqueItems':
      return invalidValue(path, '', `${at} shouldn't contain duplicates`);
    case 'maxProperties':
      return tooMany(path, Object.keys(data as object).length, params.limit as number);
    case 'minProperties':
      return invalidValue(path, Object.keys(data as object).length, `${at} should have at least ${params.limit} properties`);
    case 'anyOf':
      return composite(path, 'must validate at least one schema (anyOf)');
    case 'oneOf':
      return composite(
        path,
        `must validate one and only one schema (oneOf). ${params.passingSchemas ? `Found ${(params.passingSchemas as number[]).length} valid alternatives` : 'Found none valid'}`,
      );
    case 'not':
      return composite(path, 'must not validate the schema (not)');
    default:
      return invalidValue(path, '', `${at} ${error.message ?? 'is invalid'}`);
  }
}

export function schemaFieldErrors(errors: ErrorObject[], root: unknown): FieldError[] {
  const result: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of withoutOtherAlternatives(errors)) {
    const fieldError = toFieldError(error, root);
    const key = `${fieldError.field}\u0000${fieldError.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      result.push(fieldError);
    }
  }
  return result;
}
