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

/** The Go type a schema decodes into, as Go prints it (spelled only for a mismatch). */
function goTypeOf(schema: OpenApiSchema): string {
  const ref = refName(schema);
  if (ref) return goTypeName(ref);
  const items = asSchema(schema.items);
  if (schema.type === 'array' && items) return `[]${goTypeOf(items)}`;
  const values = asSchema(schema.additionalProperties);
  if (schema.type === 'object' && values) return `map[string]${goTypeOf(values)}`;
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

/** The first value (in document order) under a non-null value that does not decode into its Go type. */
type Checker = (value: unknown) => TypeMismatch | undefined;

const accept: Checker = () => undefined;

/**
 * The OpenAPI definitions turned into one checker per schema, once: what each field's schema says (a `$ref`, a
 * custom decoder, a type, a list or map of what) is worked out when the checker is made, not on every value of
 * every write. A definition is compiled on its first use, so the recursive ones (JSONSchemaProps) are no trouble.
 */
class Checkers {
  private readonly bySchema = new WeakMap<OpenApiSchema, Checker>();
  private readonly byDefinition = new Map<string, Checker>();
  /**
   * Per struct definition, the frozen values already found to fit it: a write shares most of its subtrees with the
   * stored version it replaces (frozen, so unchanged since they were checked), and a fitting value has no message to
   * spell. Structs of scalars only (a port, a mount) are checked again instead: they are most of the values, and cheap.
   */
  private readonly fitting = new WeakMap<object, WeakSet<object>>();

  constructor(private readonly definitions: OpenApiDefinitions) {}

  of(schema: OpenApiSchema): Checker {
    let checker = this.bySchema.get(schema);
    if (!checker) {
      checker = this.compile(schema);
      this.bySchema.set(schema, checker);
    }
    return checker;
  }

  /** A struct's checker: each declared field's checker, the rest left to pruning. */
  struct(schema: OpenApiSchema, struct: string | undefined, goType: string): Checker {
    const declared = asSchema(schema.properties) ?? {};
    const fields = new Map<string, Checker>();
    const fieldChecker = (key: string): Checker => {
      let checker = fields.get(key);
      if (checker === undefined) {
        const property = Object.hasOwn(declared, key) ? asSchema(declared[key]) : undefined;
        // A field's checker is made on its first value: a struct compiles only the fields its values use.
        checker = property ? this.of(property) : accept;
        fields.set(key, checker);
      }
      return checker;
    };
    return (value) => {
      if (!isPlainObject(value)) return mismatchOf(goType, 'struct', value);
      for (const key in value) {
        const field = value[key];
        if (field === null || field === undefined) continue;
        const found = fieldChecker(key)(field);
        if (found) {
          found.fields.unshift(key);
          found.struct ??= struct;
          return found;
        }
      }
      return undefined;
    };
  }

  private compile(schema: OpenApiSchema): Checker {
    const ref = schema.$ref === undefined ? undefined : refName(schema);
    const definition = ref === undefined ? undefined : this.definitions[ref];
    if (ref !== undefined && definition) return this.definition(ref, definition);
    const goType = goTypeOf(schema);
    const fail =
      (goKind: TypeMismatch['goKind']): Checker =>
      (value) =>
        mismatchOf(goType, goKind, value);
    switch (schema.type) {
      case 'string':
        if (schema.format === 'byte')
          return (value) => (typeof value === 'string' ? base64Problem(value, '[]uint8') : mismatchOf(goType, 'slice', value));
        return (value) => (typeof value === 'string' ? undefined : mismatchOf(goType, 'scalar', value));
      case 'integer': {
        const bits = schema.format === 'int32' ? 32 : 64;
        return (value) => (typeof value === 'number' && isInt(value, bits) ? undefined : mismatchOf(goType, 'scalar', value));
      }
      case 'number':
        return (value) => (typeof value === 'number' ? undefined : mismatchOf(goType, 'scalar', value));
      case 'boolean':
        return (value) => (typeof value === 'boolean' ? undefined : mismatchOf(goType, 'scalar', value));
      case 'array': {
        const items = asSchema(schema.items);
        const notList = fail('slice');
        if (!items) return (value) => (Array.isArray(value) ? undefined : notList(value));
        return (value) => {
          if (!Array.isArray(value)) return notList(value);
          const item = this.of(items);
          for (const element of value) {
            if (element === null || element === undefined) continue;
            const found = item(element);
            if (found) return found;
          }
          return undefined;
        };
      }
      default: {
        if (asSchema(schema.properties)) return this.struct(schema, undefined, goType);
        const values = asSchema(schema.additionalProperties);
        if (!values) return accept; // free-form JSON (RawExtension, FieldsV1, JSON)
        const notMap = fail('map');
        return (value) => {
          if (!isPlainObject(value)) return notMap(value);
          const entry = this.of(values);
          for (const key in value) {
            const found = value[key] === null || value[key] === undefined ? undefined : entry(value[key]);
            if (found) return found;
          }
          return undefined;
        };
      }
    }
  }

  /** A `$ref`'s checker: the type's own decoder, its struct (remembering fitting frozen values), or its definition's. */
  private definition(ref: string, definition: OpenApiSchema): Checker {
    let checker = this.byDefinition.get(ref);
    if (checker) return checker;
    const goType = goTypeName(ref);
    const custom = customDecoders[ref];
    if (custom) checker = (value) => custom(value, goType);
    else if (asSchema(definition.properties))
      checker = this.rememberingFits(definition, this.struct(definition, goStructName(ref), goType));
    else {
      // Compiled on first use: a definition may refer to itself.
      let inner: Checker | undefined;
      checker = (value) => (inner ??= this.of(definition))(value);
    }
    this.byDefinition.set(ref, checker);
    return checker;
  }

  private rememberingFits(definition: OpenApiSchema, check: Checker): Checker {
    return (value) => {
      const frozen = typeof value === 'object' && value !== null && Object.isFrozen(value);
      let fits = this.fitting.get(definition);
      if (frozen && fits?.has(value)) return undefined;
      const found = check(value);
      if (frozen && !found && hasObjectField(value as object)) {
        if (!fits) this.fitting.set(definition, (fits = new WeakSet()));
        fits.add(value);
      }
      return found;
    };
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

let checkers: Checkers | undefined;
const checkersOf = (): Checkers => (checkers ??= new Checkers(kubernetesDefinitions()));

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
  return rootChecker(definition)?.(obj);
}

/** A kind's checker, made once per definition: every write of the kind asks. */
const roots = new Map<string, Checker | null>();

function rootChecker(definition: string): Checker | null {
  let root = roots.get(definition);
  if (root === undefined) {
    const schema = kubernetesDefinitions()[definition];
    root = schema ? checkersOf().struct(schema, goStructName(definition), goTypeName(definition)) : null;
    roots.set(definition, root);
  }
  return root;
}

/** The first metadata field of a custom resource that ObjectMeta cannot take. */
export function objectMetaTypeMismatch(metadata: unknown): TypeMismatch | undefined {
  return rootChecker(OBJECT_META)!(metadata);
}

const hasObjectField = (value: object): boolean => Object.values(value).some((field) => typeof field === 'object' && field !== null);
