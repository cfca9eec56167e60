/**
 * The project's own YAML data files (bootstrap RBAC policy, kind's add-on
 * manifests, ...) parsed as plain values. Every emulator start reads the same
 * files, and the YAML parser costs far more than JSON; the answers are kept on
 * disk by diskMemo, so a machine parses each file once. Only for trusted data
 * the project ships: a client's YAML goes through the API's decoder.
 */
import { parse, parseAllDocuments } from 'yaml';
import { diskMemo } from './disk-memo.js';

const documentJson = diskMemo('yaml-document', (text) => JSON.stringify(parse(text) ?? null));
const documentsJson = diskMemo('yaml-documents', (text) => JSON.stringify(parseAllDocuments(text).map((doc) => doc.toJS() ?? null)));

/** The one document of a YAML text. */
export const yamlDocument = (text: string): unknown => JSON.parse(documentJson(text));

/** Every document of a YAML stream; empty documents are null. */
export const yamlDocuments = (text: string): unknown[] => JSON.parse(documentsJson(text)) as unknown[];
