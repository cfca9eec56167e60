/**
 * What decoding a JSON body into Kubernetes' Go types rejects, found by
 * walking the body against the Kubernetes OpenAPI (v2 definitions) and worded
 * as kube-apiserver words it: encoding/json's UnmarshalTypeError for built-in
 * kinds ("json: cannot unmarshal string into Go struct field
 * ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference"), and the
 * unstructured converter's errors for the metadata of custom resources
 * ("cannot restore slice from string"). Types with their own decoders
 * (IntOrString, Quantity, Time, []byte) are checked as those decoders check.
 * Nothing downstream (admission, controllers, the garbage collector) then
 * sees a value of the wrong type.
 */
import { kubernetesDefinitions, type OpenApiDefinitions, type OpenApiSchema } from '../patch/schema-node.js';

const REF_PREFIX = '#/definitions/';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** Where a value sits: the Go struct holding it and the struct field names from the root, linked (spelled only on a mismatch). */
interface Position {
  struct: string;
  field?: { name: string; parent: Position['field'] };
}

const fieldsOf = (at: Position): string[] => {
  const fields: string[] = [];
  for (let f = at.field; f; f = f.parent) fields.unshift(f.name);
  return fields;
};

/** One value of the wrong JSON type for its Go type, or rejected by a type's own decoder. */
export interface TypeMismatch {
  at: Position;
  goType: string;
  goKind: 'slice' | 'map' | 'struct' | 'scalar';
  value: unknown;
  /** A custom decoder's own message (time, quantity, base64), which replaces the type error. */
  decoderMessage?: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asSchema = (v: unknown): OpenApiSchema | undefined => (isPlainObject(v) ? (v as OpenApiSchema) : undefined);
const refName = (schema: OpenApiSchema): string | undefined =>
  typeof schema.$ref === 'string' && schema.$ref.startsWith(REF_PREFIX) ? schema.$ref.slice(REF_PREFIX.length) : undefined;

/** "io.k8s.api.core.v1.Container" → "v1.Container", as Go prints a named type. */
const goTypeName = (definition: string): string => definition.split('.').slice(-2).join('.');
const goStructName = (definition: string): string => definition.split('.').pop() ?? definition;

const quantityFmt = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const quantityPattern = new RegExp(quantityFmt);
const quantityMessage = `quantities must match the regular expression '${quantityFmt}'`;
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/** Definitions whose Go type has its own decoder; the value is checked as that decoder checks it. */
const customDecoders: Record<string, (value: unknown, at: Position, goType: string) => TypeMismatch | undefined> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': (value, at) => {
    if (typeof value === 'string') return undefined;
    if (typeof value === 'number' && isInt(value, 32)) return undefined;
    return { at, goType: 'int32', goKind: 'scalar', value };
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': (value, at, goType) => {
    if ((typeof value === 'string' || typeof value === 'number') && quantityPattern.test(String(value).trim())) return undefined;
    return { at, goType, goKind: 'scalar', value, decoderMessage: quantityMessage };
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': timeDecoder,
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': timeDecoder,
};

function timeDecoder(value: unknown, at: Position): TypeMismatch | undefined {
  if (typeof value !== 'string') return { at, goType: 'string', goKind: 'scalar', value };
  if (value === '' || rfc3339.test(value)) return undefined;
  const quoted = JSON.stringify(value);
  return {
    at,
    goType: 'string',
    goKind: 'scalar',
    value,
    decoderMessage: `parsing time ${quoted} as "2006-01-02T15:04:05Z07:00": cannot parse ${quoted} as "2006"`,
  };
}

function isInt(value: number, bits: 32 | 64): boolean {
  if (!Number.isInteger(value)) return false;
  const limit = 2 ** (bits - 1);
  return value >= -limit && value < limit;
}

interface Reference {
  ref: string;
  definition: OpenApiSchema;
  struct: string;
  goType: string;
  isStruct: boolean;
}

class Walker {
  constructor(private readonly definitions: OpenApiDefinitions) {}

  goType(schema: OpenApiSchema): string {
    const ref = refName(schema);
    if (ref) return goTypeName(ref);
    const items = asSchema(schema.items);
    if (schema.type === 'array' && items) return `[]${this.goType(items)}`;
    const values = asSchema(schema.additionalProperties);
    if (schema.type === 'object' && values) return `map[string]${this.goType(values)}`;
    switch (schema.type) {
      case 'string':
        return schema.format === 'byte' ? '[]uint8' : 'string';
      case 'integer':
        return schema.format === 'int32' ? 'int32' : 'int64';
      case 'number':
        return 'float64';
      case 'boolean':
        return 'bool';
      default:
        return 'map[string]interface {}';
    }
  }

  private readonly references = new WeakMap<OpenApiSchema, Reference | null>();

  /** What a `$ref` schema points at, worked out once per schema object. */
  private reference(schema: OpenApiSchema): Reference | null {
    let found = this.references.get(schema);
    if (found === undefined) {
      const ref = refName(schema);
      const definition = ref ? this.definitions[ref] : undefined;
      found =
        ref && definition
          ? { ref, definition, struct: goStructName(ref), goType: goTypeName(ref), isStruct: asSchema(definition.properties) !== undefined }
          : null;
      this.references.set(schema, found);
    }
    return found;
  }

  /** The first value (in document order) that does not decode into the schema's Go type. */
  check(value: unknown, schema: OpenApiSchema, at: Position): TypeMismatch | undefined {
    if (value === null || value === undefined) return undefined;
    const reference = schema.$ref === undefined ? null : this.reference(schema);
    if (reference) {
      const custom = customDecoders[reference.ref];
      if (custom) return custom(value, at, reference.goType);
      if (reference.isStruct) return this.checkStructOnce(value, reference, at);
      return this.check(value, reference.definition, at);
    }
    // The Go type is spelled only for a mismatch: most values fit.
    const mismatch = (goKind: TypeMismatch['goKind']): TypeMismatch => ({ at, goType: this.goType(schema), goKind, value });
    switch (schema.type) {
      case 'string':
        if (typeof value !== 'string') return mismatch(schema.format === 'byte' ? 'slice' : 'scalar');
        return schema.format === 'byte' ? base64Problem(value, at, '[]uint8') : undefined;
      case 'integer':
        return typeof value === 'number' && isInt(value, schema.format === 'int32' ? 32 : 64) ? undefined : mismatch('scalar');
      case 'number':
        return typeof value === 'number' ? undefined : mismatch('scalar');
      case 'boolean':
        return typeof value === 'boolean' ? undefined : mismatch('scalar');
      case 'array': {
        if (!Array.isArray(value)) return mismatch('slice');
        const items = asSchema(schema.items);
        if (!items) return undefined;
        for (const item of value) {
          const found = this.check(item, items, at);
          if (found) return found;
        }
        return undefined;
      }
      default: {
        const values = asSchema(schema.additionalProperties);
        if (asSchema(schema.properties)) return this.checkStruct(value, schema, at.struct, this.goType(schema), at);
        if (!values) return undefined; // free-form JSON (RawExtension, FieldsV1, JSON)
        if (!isPlainObject(value)) return mismatch('map');
        for (const entry of Object.values(value)) {
          const found = this.check(entry, values, at);
          if (found) return found;
        }
        return undefined;
      }
    }
  }

  /**
   * Per struct definition, the frozen values already found to fit it: a write shares most of its subtrees with the stored
   * version it replaces (frozen, so unchanged since they were checked), and a fitting value has no message to spell.
   * Structs of scalars only (a port, a mount) are checked again instead: they are most of the values, and cheap to check.
   */
  private readonly fitting = new WeakMap<OpenApiSchema, WeakSet<object>>();

  private checkStructOnce(value: unknown, reference: Reference, at: Position): TypeMismatch | undefined {
    const frozen = typeof value === 'object' && value !== null && Object.isFrozen(value);
    let fits = this.fitting.get(reference.definition);
    if (frozen && fits?.has(value)) return undefined;
    const found = this.checkStruct(value, reference.definition, reference.struct, reference.goType, at);
    if (frozen && !found && hasObjectField(value as object)) {
      if (!fits) this.fitting.set(reference.definition, (fits = new WeakSet()));
      fits.add(value);
    }
    return found;
  }

  checkStruct(value: unknown, schema: OpenApiSchema, struct: string, goType: string, at: Position): TypeMismatch | undefined {
    if (!isPlainObject(value)) return { at, goType, goKind: 'struct', value };
    const properties = asSchema(schema.properties) ?? {};
    for (const key in value) {
      const declared = asSchema(properties[key]);
      if (!declared) continue; // unknown fields are pruning's business
      const field = value[key];
      if (field === null || field === undefined) continue;
      const found = this.check(field, declared, { struct, field: { name: key, parent: at.field } });
      if (found) return found;
    }
    return undefined;
  }
}

/** Go's base64.StdEncoding: the offset of the first byte it cannot take. */
function base64Problem(value: string, at: Position, goType: string): TypeMismatch | undefined {
  if (base64Pattern.test(value) && value.length % 4 === 0) return undefined;
  let offset = [...value].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
  if (offset < 0)
    offset = value.indexOf('=') >= 0 && value.indexOf('=') < value.length - 2 ? value.indexOf('=') : Math.floor(value.length / 4) * 4;
  return { at, goType, goKind: 'slice', value, decoderMessage: `illegal base64 data at input byte ${offset}` };
}

let walker: Walker | undefined;
const walkerOf = (): Walker => (walker ??= new Walker(kubernetesDefinitions()));

/** JSON's name of a value's type as encoding/json reports it ("number 1.5" for a number that does not fit). */
function jsonValueName(value: unknown, goType: string): string {
  if (typeof value === 'number') return /^u?int/.test(goType) ? `number ${value}` : 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'string' ? 'string' : 'object';
}

/** encoding/json's UnmarshalTypeError text, or the custom decoder's message. */
export function goJsonMessage(m: TypeMismatch): string {
  if (m.decoderMessage) return m.decoderMessage;
  const field = fieldsOf(m.at).join('.');
  const where = field ? `Go struct field ${m.at.struct}.${field}` : `Go value`;
  return `json: cannot unmarshal ${jsonValueName(m.value, m.goType)} into ${where} of type ${m.goType}`;
}

/** The unstructured converter's kind of a JSON value (numbers are int64 or float64 there). */
function unstructuredKind(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'slice';
  return typeof value === 'string' ? 'string' : 'map';
}

/** runtime.DefaultUnstructuredConverter's text for the same mismatch. */
export function unstructuredMessage(m: TypeMismatch): string {
  if (m.decoderMessage) return m.decoderMessage;
  const kind = unstructuredKind(m.value);
  switch (m.goKind) {
    case 'slice':
      return `cannot restore slice from ${kind}`;
    case 'map':
      return `cannot restore map from ${kind}`;
    case 'struct':
      return `cannot restore struct from: ${kind}`;
    default:
      return `cannot convert ${kind} to ${m.goType}`;
  }
}

/** The first field of a built-in object that its Go type cannot take; undefined when the kind has no definition. */
export function builtinTypeMismatch(obj: Record<string, unknown>, definition: string): TypeMismatch | undefined {
  const schema = kubernetesDefinitions()[definition];
  if (!schema) return undefined;
  return walkerOf().checkStruct(obj, schema, goStructName(definition), goTypeName(definition), { struct: goStructName(definition) });
}

/** The first metadata field of a custom resource that ObjectMeta cannot take. */
export function objectMetaTypeMismatch(metadata: unknown): TypeMismatch | undefined {
  const schema = kubernetesDefinitions()[OBJECT_META];
  return walkerOf().checkStruct(metadata, schema, 'ObjectMeta', 'v1.ObjectMeta', { struct: 'ObjectMeta' });
}

const hasObjectField = (value: object): boolean => Object.values(value).some((field) => typeof field === 'object' && field !== null);
