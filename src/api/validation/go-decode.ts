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

/**
 * One value of the wrong JSON type for its Go type, or rejected by a type's own decoder. Where it sits is filled in
 * on the way back up from it (most values fit, so no walk spells a position it would throw away): the struct field
 * names from the root, and the Go struct holding the value.
 */
export interface TypeMismatch {
  struct: string | undefined;
  fields: string[];
  goType: string;
  goKind: 'slice' | 'map' | 'struct' | 'scalar';
  value: unknown;
  /** A custom decoder's own message (time, quantity, base64), which replaces the type error. */
  decoderMessage?: string;
}

const mismatchOf = (goType: string, goKind: TypeMismatch['goKind'], value: unknown, decoderMessage?: string): TypeMismatch => ({
  struct: undefined,
  fields: [],
  goType,
  goKind,
  value,
  decoderMessage,
});

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
const customDecoders: Record<string, (value: unknown, goType: string) => TypeMismatch | undefined> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': (value) => {
    if (typeof value === 'string') return undefined;
    if (typeof value === 'number' && isInt(value, 32)) return undefined;
    return mismatchOf('int32', 'scalar', value);
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': (value, goType) => {
    if ((typeof value === 'string' || typeof value === 'number') && quantityPattern.test(String(value).trim())) return undefined;
    return mismatchOf(goType, 'scalar', value, quantityMessage);
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': timeDecoder,
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': timeDecoder,
};

function timeDecoder(value: unknown): TypeMismatch | undefined {
  if (typeof value !== 'string') return mismatchOf('string', 'scalar', value);
  if (value === '' || rfc3339.test(value)) return undefined;
  const quoted = JSON.stringify(value);
  return mismatchOf('string', 'scalar', value, `parsing time ${quoted} as "2006-01-02T15:04:05Z07:00": cannot parse ${quoted} as "2006"`);
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
  check(value: unknown, schema: OpenApiSchema): TypeMismatch | undefined {
    if (value === null || value === undefined) return undefined;
    const reference = schema.$ref === undefined ? null : this.reference(schema);
    if (reference) {
      const custom = customDecoders[reference.ref];
      if (custom) return custom(value, reference.goType);
      if (reference.isStruct) return this.checkStructOnce(value, reference);
      return this.check(value, reference.definition);
    }
    switch (schema.type) {
      case 'string':
        if (typeof value !== 'string') return this.mismatch(schema, schema.format === 'byte' ? 'slice' : 'scalar', value);
        return schema.format === 'byte' ? base64Problem(value, '[]uint8') : undefined;
      case 'integer':
        return typeof value === 'number' && isInt(value, schema.format === 'int32' ? 32 : 64)
          ? undefined
          : this.mismatch(schema, 'scalar', value);
      case 'number':
        return typeof value === 'number' ? undefined : this.mismatch(schema, 'scalar', value);
      case 'boolean':
        return typeof value === 'boolean' ? undefined : this.mismatch(schema, 'scalar', value);
      case 'array': {
        if (!Array.isArray(value)) return this.mismatch(schema, 'slice', value);
        const items = asSchema(schema.items);
        if (!items) return undefined;
        for (const item of value) {
          const found = this.check(item, items);
          if (found) return found;
        }
        return undefined;
      }
      default: {
        const values = asSchema(schema.additionalProperties);
        if (asSchema(schema.properties)) return this.checkStruct(value, schema, undefined, this.goType(schema));
        if (!values) return undefined; // free-form JSON (RawExtension, FieldsV1, JSON)
        if (!isPlainObject(value)) return this.mismatch(schema, 'map', value);
        for (const key in value) {
          const found = this.check(value[key], values);
          if (found) return found;
        }
        return undefined;
      }
    }
  }

  /** The Go type is spelled only for a mismatch: most values fit. */
  private mismatch(schema: OpenApiSchema, goKind: TypeMismatch['goKind'], value: unknown): TypeMismatch {
    return mismatchOf(this.goType(schema), goKind, value);
  }

  /**
   * Per struct definition, the frozen values already found to fit it: a write shares most of its subtrees with the stored
   * version it replaces (frozen, so unchanged since they were checked), and a fitting value has no message to spell.
   * Structs of scalars only (a port, a mount) are checked again instead: they are most of the values, and cheap to check.
   */
  private readonly fitting = new WeakMap<OpenApiSchema, WeakSet<object>>();

  private checkStructOnce(value: unknown, reference: Reference): TypeMismatch | undefined {
    const frozen = typeof value === 'object' && value !== null && Object.isFrozen(value);
    let fits = this.fitting.get(reference.definition);
    if (frozen && fits?.has(value)) return undefined;
    const found = this.checkStruct(value, reference.definition, reference.struct, reference.goType);
    if (frozen && !found && hasObjectField(value as object)) {
      if (!fits) this.fitting.set(reference.definition, (fits = new WeakSet()));
      fits.add(value);
    }
    return found;
  }

  /**
   * The first field of a struct that does not fit; `struct` is the Go struct's name (undefined for an inline struct,
   * whose fields Go names after the struct around it).
   */
  checkStruct(value: unknown, schema: OpenApiSchema, struct: string | undefined, goType: string): TypeMismatch | undefined {
    if (!isPlainObject(value)) return mismatchOf(goType, 'struct', value);
    const properties = asSchema(schema.properties) ?? {};
    for (const key in value) {
      const declared = asSchema(properties[key]);
      if (!declared) continue; // unknown fields are pruning's business
      const field = value[key];
      if (field === null || field === undefined) continue;
      const found = this.check(field, declared);
      if (found) {
        found.fields.unshift(key);
        found.struct ??= struct;
        return found;
      }
    }
    return undefined;
  }
}

/** Go's base64.StdEncoding: the offset of the first byte it cannot take. */
function base64Problem(value: string, goType: string): TypeMismatch | undefined {
  if (base64Pattern.test(value) && value.length % 4 === 0) return undefined;
  let offset = [...value].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
  if (offset < 0)
    offset = value.indexOf('=') >= 0 && value.indexOf('=') < value.length - 2 ? value.indexOf('=') : Math.floor(value.length / 4) * 4;
  return mismatchOf(goType, 'slice', value, `illegal base64 data at input byte ${offset}`);
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
  const field = m.fields.join('.');
  const where = field ? `Go struct field ${m.struct}.${field}` : `Go value`;
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
  const root = rootOf(definition);
  return root ? walkerOf().checkStruct(obj, root.schema, root.struct, root.goType) : undefined;
}

/** A kind's definition and its Go names, worked out once per definition: every write of the kind asks. */
const roots = new Map<string, { schema: OpenApiSchema; struct: string; goType: string } | null>();

function rootOf(definition: string): { schema: OpenApiSchema; struct: string; goType: string } | null {
  let root = roots.get(definition);
  if (root === undefined) {
    const schema = kubernetesDefinitions()[definition];
    root = schema ? { schema, struct: goStructName(definition), goType: goTypeName(definition) } : null;
    roots.set(definition, root);
  }
  return root;
}

/** The first metadata field of a custom resource that ObjectMeta cannot take. */
export function objectMetaTypeMismatch(metadata: unknown): TypeMismatch | undefined {
  const schema = kubernetesDefinitions()[OBJECT_META];
  return walkerOf().checkStruct(metadata, schema, 'ObjectMeta', 'v1.ObjectMeta');
}

const hasObjectField = (value: object): boolean => Object.values(value).some((field) => typeof field === 'object' && field !== null);
