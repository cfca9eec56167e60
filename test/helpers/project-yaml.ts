/**
 * The project's own YAML files (KubeVirt's CRDs, examples and manifests under schemas/) as plain values, through the
 * emulator's disk-memoized parser (src/runtime/yaml-data.ts): the CRDs are hundreds of KiB of YAML, and parsing them in
 * every test process cost about a second of CPU in some harnesses. Only for files the project ships.
 */
import { readFileSync } from 'node:fs';
import { yamlDocument, yamlDocuments } from '../../src/runtime/yaml-data.js';

/** The one document of a YAML file. */
export const projectYaml = <T = unknown>(file: string | URL): T => yamlDocument(readFileSync(file, 'utf8')) as T;

/** The non-empty documents of a YAML stream. */
export const projectYamlDocuments = <T = unknown>(file: string | URL): T[] =>
  yamlDocuments(readFileSync(file, 'utf8')).filter((doc) => doc !== null) as T[];
