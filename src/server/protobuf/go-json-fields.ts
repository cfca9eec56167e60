/**
 * How each protobuf field appears in JSON, read from the Go structs the
 * messages were generated from (the types*.go files kept beside each
 * generated.proto). The proto alone cannot say it: an embedded struct
 * (`json:",inline"`, e.g. Volume.volumeSource) has no key of its own, a few
 * JSON names differ from the proto names ($ref, $schema), and Go writes every
 * non-pointer field on the wire, so a zero string or number must be dropped
 * again exactly where encoding/json's omitempty would drop it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { protoDir } from './proto-registry.js';

export interface GoJsonField {
  /** The JSON key; empty for an inlined struct. */
  json: string;
  inline: boolean;
  omitEmpty: boolean;
  /** A Go pointer keeps an explicit zero ("replicas: 0"); a plain value with omitempty loses it. */
  pointer: boolean;
}

/**
 * Go struct name -> proto field number -> JSON shape. Keyed by number because
 * not every tag names its field (EphemeralContainer's `protobuf:"bytes,1,req"`).
 */
export type GoStructFields = Map<string, Map<number, GoJsonField>>;

const byImportPath = new Map<string, GoStructFields>();

export function goStructFields(importPath: string): GoStructFields {
  let structs = byImportPath.get(importPath);
  if (!structs) {
    structs = new Map();
    const dir = join(protoDir, importPath);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.go')))
      parseGoStructs(readFileSync(join(dir, file), 'utf8'), structs);
    byImportPath.set(importPath, structs);
  }
  return structs;
}

const structStart = /^type (\w+) struct \{/;
const taggedField = /^\s*([\w.*[\]]+(?:\s+[\w.*[\]]+)?)\s+`([^`]*)`/;

/** Collects the fields carrying a protobuf tag from every top-level struct of one Go file. */
export function parseGoStructs(source: string, into: GoStructFields): void {
  let fields: Map<number, GoJsonField> | undefined;
  for (const line of source.split('\n')) {
    const start = structStart.exec(line);
    if (start) {
      fields = new Map();
      into.set(start[1], fields);
      continue;
    }
    if (line.startsWith('}')) {
      fields = undefined;
      continue;
    }
    if (!fields || line.trimStart().startsWith('//')) continue;
    const match = taggedField.exec(line);
    if (!match) continue;
    const parsed = parseField(match[1].trim().split(/\s+/), match[2]);
    if (parsed) fields.set(parsed.fieldNumber, parsed.field);
  }
}

function parseField(declaration: string[], tags: string): { fieldNumber: number; field: GoJsonField } | undefined {
  const fieldNumber = /protobuf:"\w+,(\d+),/.exec(tags)?.[1];
  const jsonTag = /json:"([^"]*)"/.exec(tags)?.[1];
  if (!fieldNumber || jsonTag === undefined || jsonTag === '-') return undefined;
  const [json, ...options] = jsonTag.split(',');
  // An embedded field is declared by its type alone; a named one by "Name Type".
  const goType = declaration[declaration.length - 1];
  return {
    fieldNumber: Number(fieldNumber),
    field: {
      json,
      inline: json === '' && options.includes('inline'),
      omitEmpty: options.includes('omitempty'),
      pointer: goType.startsWith('*'),
    },
  };
}
