/**
 * Schema validation that does not check again what it already found valid.
 * Most writes of a custom resource change a little of it and hand back the
 * rest as the stored version's own frozen subtrees (a status write keeps the
 * spec), and a frozen value never changes: once it passed a schema node, it
 * passes it again. So the schema is cut into parts at its large nodes (an
 * object's properties, a list's items, a map's values), each part compiled
 * on its own with the parts below it accepting anything, and each part
 * remembers the values that passed it with every part below, to pass them
 * again once frozen (frozen-answers.ts).
 *
 * This answers only whether an object is valid: that holds exactly when its
 * root part and every part below, on the values they cover, hold (a part is
 * cut only where its constraints are per property, item or value; a node
 * with allOf, anyOf, oneOf or not stays whole). The errors of an invalid
 * object come from the whole schema's validator, as before, so they and
 * their order are what they were.
 */
import type { ValidateFunction } from 'ajv';
import type { AjvSchema } from './ajv-schema.js';
import { compiledValidator } from './compiled-validators.js';
import { FrozenAnswers } from '../frozen-answers.js';

/** A subschema smaller than this (as JSON) is checked whole: compiling and remembering it would cost what it saves. */
const MIN_PART_CHARS = 2_000;
/** How many parts deep a schema is cut: the root, spec, spec.template, spec.template.spec, ... */
const MAX_PART_DEPTH = 5;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isSchema = (value: unknown): value is AjvSchema => isPlainObject(value);

/** Accepts anything: the shell's stand-in for a part cut off below it. */
const ANYTHING: AjvSchema = {};

/** The values found valid, per part (a part passes a frozen one it found valid without checking it again). */
const passed = new FrozenAnswers<Part>();

class Part {
  private validator: ValidateFunction | undefined;

  constructor(
    /** This node's schema with the parts below it replaced by `{}`. */
    private readonly shell: AjvSchema,
    private readonly properties: ReadonlyArray<readonly [string, Part]>,
    private readonly items: Part | undefined,
    private readonly values: Part | undefined,
    /** False at the root: every write brings a new top-level object. */
    private readonly remembers: boolean,
  ) {}

  valid(value: unknown): boolean {
    if (this.remembers && passed.has(this, value)) return true;
    this.validator ??= compiledValidator(this.shell);
    if (!this.validator(value) || !this.partsValid(value)) {
      if (this.remembers) passed.forget(this, value);
      return false;
    }
    if (this.remembers) passed.add(this, value);
    return true;
  }

  private partsValid(value: unknown): boolean {
    if (Array.isArray(value)) return this.items === undefined || value.every((item) => this.items!.valid(item));
    if (!isPlainObject(value)) return true;
    for (const [key, part] of this.properties) {
      // ajv checks a property that is not undefined, as here.
      if (value[key] !== undefined && !part.valid(value[key])) return false;
    }
    if (this.values) {
      for (const key in value) {
        if (!this.declares(key) && !this.values.valid(value[key])) return false;
      }
    }
    return true;
  }

  /** Whether `key` is one of the node's own properties (ajv's additionalProperties applies to the others only). */
  private declares(key: string): boolean {
    return isSchema(this.shell.properties) && Object.hasOwn(this.shell.properties, key);
  }
}

const large = (schema: unknown): schema is AjvSchema => isSchema(schema) && JSON.stringify(schema).length >= MIN_PART_CHARS;

/** Combinators constrain the node's value as a whole, so a node with one is not cut. */
const cuttable = (schema: AjvSchema): boolean =>
  schema.allOf === undefined && schema.anyOf === undefined && schema.oneOf === undefined && schema.not === undefined;

function partOf(schema: AjvSchema, depth: number): Part {
  if (depth >= MAX_PART_DEPTH || !cuttable(schema)) return new Part(schema, [], undefined, undefined, depth > 0);
  const shell: AjvSchema = { ...schema };
  const properties: Array<[string, Part]> = [];
  if (isSchema(schema.properties)) {
    const shellProperties: AjvSchema = { ...schema.properties };
    for (const [key, property] of Object.entries(schema.properties)) {
      if (!large(property)) continue;
      properties.push([key, partOf(property, depth + 1)]);
      shellProperties[key] = ANYTHING;
    }
    shell.properties = shellProperties;
  }
  let items: Part | undefined;
  if (large(schema.items)) {
    items = partOf(schema.items, depth + 1);
    shell.items = ANYTHING;
  }
  let values: Part | undefined;
  if (large(schema.additionalProperties)) {
    values = partOf(schema.additionalProperties, depth + 1);
    shell.additionalProperties = ANYTHING;
  }
  return new Part(shell, properties, items, values, depth > 0);
}

/** The parts of `schema`, each compiled on first use: whether a value is valid against the whole schema. */
export function validationParts(schema: AjvSchema): { valid(value: unknown): boolean } {
  return partOf(schema, 0);
}
