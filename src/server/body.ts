/**
 * Request bodies as Kubernetes clients send them: JSON with or without a
 * Content-Type, YAML for server-side apply, the patch media types, and
 * Kubernetes protobuf (kubectl's typed create commands, auth can-i), decoded
 * to the JSON object a JSON client would have sent.
 */
import { parse as parseYaml } from 'yaml';
import { badRequest, unsupportedMediaType } from '../api/errors.js';
import type { PatchType } from '../client/client.js';
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

/** Decodes a request body; undefined when there is none. */
export function decodeBody(raw: Buffer | undefined, contentType: string | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === protobufMediaType) return decodeKubernetesProtobuf(raw).object;
  const text = raw.toString('utf8');
  if (mediaType === 'application/yaml' || mediaType === 'application/apply-patch+yaml') return parseYamlBody(text);
  if (mediaType === '' || mediaType === 'application/json' || mediaType === '*/*' || mediaType in patchMediaTypes) return parseJsonBody(text);
  throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ${protobufMediaType}`);
}

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding body: ${(err as Error).message}`);
  }
}

function parseYamlBody(text: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
}
