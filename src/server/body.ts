/**
 * Request bodies as Kubernetes clients send them: JSON with or without a
 * Content-Type, YAML for server-side apply, the patch media types, and
 * Kubernetes protobuf (kubectl's typed create commands, auth can-i), decoded
 * to the JSON object a JSON client would have sent.
 */
import { parse as parseYaml } from 'yaml';
import { badRequest, unsupportedMediaType } from '../api/errors.js';
import type { PatchType } from '../client/client.js';
import { jsonDepthError } from './json-scan.js';
import { decodeKubernetesProtobuf } from './protobuf/index.js';

export const protobufMediaType = 'application/vnd.kubernetes.protobuf';

export const patchMediaTypes: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Whether a body of this Content-Type is read as JSON text. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === '' || mediaType === 'application/json' || mediaType === '*/*') return true;
  return mediaType in patchMediaTypes && mediaType !== 'application/apply-patch+yaml';
}

/**
 * Decodes a request body; undefined when there is none. `into` names the kind
 * an object body decodes into, so a syntax error is worded as the apiserver's
 * object decoder words it; patch bodies (no `into`) get the bare JSON error.
 */
export function decodeBody(raw: Buffer | undefined, contentType: string | undefined, into?: string): unknown {
  if (!raw || raw.length === 0) return undefined;
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === protobufMediaType) return decodeKubernetesProtobuf(raw).object;
  const text = raw.toString('utf8');
  if (mediaType === 'application/yaml' || mediaType === 'application/apply-patch+yaml') return parseYamlBody(text);
  if (isJsonMediaType(contentType)) return parseJsonBody(text, into);
  throw unsupportedMediaType(
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ${protobufMediaType}`,
  );
}

function parseJsonBody(text: string, into: string | undefined): unknown {
  const unrecognized = `the object provided is unrecognized (must be of type ${into})`;
  const fail = (goMessage: string) =>
    badRequest(into ? `${unrecognized}: couldn't get version/kind; json parse error: ${goMessage} (${summarize(text)})` : goMessage);
  const tooDeep = jsonDepthError(text);
  if (tooDeep) throw fail(tooDeep);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw fail(goSyntaxMessage((err as Error).message, text));
  }
}

/** The apiserver's summarizeData: the first 30 bytes of a body it could not decode. */
const summarize = (text: string): string => (text.length > 30 ? `${text.slice(0, 30)} ...` : text);

/** JSON.parse's complaint in encoding/json's words (the scanner names the offending character). */
function goSyntaxMessage(message: string, text: string): string {
  const position = /position (\d+)/.exec(message);
  if (!position) return 'unexpected end of JSON input';
  const char = text[Number(position[1])] ?? '';
  const quoted = char === "'" ? "'\\''" : `'${char}'`;
  const context = /after JSON/.test(message) ? 'after top-level value' : 'looking for beginning of value';
  return `invalid character ${quoted} ${context}`;
}

function parseYamlBody(text: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
}
