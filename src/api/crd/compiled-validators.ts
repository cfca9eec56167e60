/**
 * Compiled ajv validators for CRD schemas, remembered in the process and on
 * disk. Compiling one of KubeVirt's large schemas costs hundreds of
 * milliseconds; every process that installs KubeVirt compiled the same ones.
 * ajv writes a compiled validator as standalone JavaScript; that code is kept
 * by diskMemo under the schema's text, and loading it is a function parse.
 * The code is ajv's own output for the project's own CRD schemas, evaluated
 * with the same runtime helpers and formats the in-process compile uses.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { _, Ajv, type ValidateFunction } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { diskMemo } from '../../runtime/disk-memo.js';
import type { AjvSchema } from './ajv-schema.js';
import { stringFormats } from './formats.js';

let sharedAjv: Ajv | undefined;

function ajv(): Ajv {
  if (!sharedAjv) {
    sharedAjv = new Ajv({
      // allErrors: the apiserver reports every violation; verbose: errors carry the offending data.
      allErrors: true,
      verbose: true,
      strict: false,
      validateSchema: false,
      addUsedSchema: false,
      // The standalone code refers to the formats by this name, which `load` provides.
      code: { source: true, formats: _`stringFormats` },
    });
    for (const [name, format] of Object.entries(stringFormats)) sharedAjv.addFormat(name, format);
  }
  return sharedAjv;
}

// ajv's module is CommonJS: Node's default import is its module.exports, which TypeScript types as the module.
const standaloneCode = standalone.default;

const standaloneValidator = diskMemo('crd-validator', (schemaJson) => {
  const schema = JSON.parse(schemaJson) as AjvSchema;
  const code = standaloneCode(ajv(), ajv().compile(schema));
  // ajv would keep every schema it compiled for the life of the process.
  ajv().removeSchema(schema);
  return code;
});

const requireRuntime = createRequire(import.meta.url);

/** Evaluates ajv's CommonJS standalone module with its runtime helpers and the project's formats. */
function load(code: string): ValidateFunction {
  const module = { exports: {} as ValidateFunction };
  new Function('module', 'exports', 'require', 'stringFormats', code)(module, module.exports, requireRuntime, stringFormats);
  return module.exports;
}

/** How many distinct schemas keep their compiled validator (KubeVirt has some twenty CRDs). */
const MAX_COMPILED = 64;
/** Compiled validators by a digest of their schema's JSON, least recently used first. */
const compiled = new Map<string, ValidateFunction>();

/**
 * The validator of `schema`, compiled once per machine and loaded once per
 * process for every CRD version (and every emulator) with the same schema.
 */
export function compiledValidator(schema: AjvSchema): ValidateFunction {
  const schemaJson = JSON.stringify(schema);
  // A digest keys the map: the JSON of KubeVirt's schemas runs to hundreds of KiB each.
  const key = createHash('sha256').update(schemaJson).digest('base64');
  let validator = compiled.get(key);
  if (validator) compiled.delete(key);
  else validator = load(standaloneValidator(schemaJson));
  compiled.set(key, validator);
  if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  return validator;
}
