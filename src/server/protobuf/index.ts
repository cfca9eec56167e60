/**
 * Decodes the Kubernetes protobuf encoding (application/vnd.kubernetes.protobuf)
 * that typed clients such as kubectl's create subcommands and auth can-i send:
 * the magic "k8s\0", then a runtime.Unknown naming apiVersion and kind and
 * carrying the object's own message in `raw`. The result is the JSON object a
 * JSON client would have sent for the same object.
 */
import type protobuf from 'protobufjs';
import { badRequest } from '../../api/errors.js';
import { messageToJson } from './message-to-json.js';
import { messageType, protoFileFor, runtimeUnknownType } from './proto-registry.js';
import type { DecodedMessage } from './special-types.js';

export interface DecodedKubernetesObject {
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export function decodeKubernetesProtobuf(body: Buffer): DecodedKubernetesObject {
  if (body.length < magic.length || !body.subarray(0, magic.length).equals(magic)) {
    throw badRequest(`provided data does not appear to be a protobuf message, expected prefix [${[...magic].join(' ')}]`);
  }
  const envelope = decodeMessage(runtimeUnknownType(), body.subarray(magic.length));
  const typeMeta = (envelope.typeMeta ?? {}) as DecodedMessage;
  const apiVersion = typeof typeMeta.apiVersion === 'string' ? typeMeta.apiVersion : '';
  const kind = typeof typeMeta.kind === 'string' ? typeMeta.kind : '';
  if (!apiVersion || !kind) throw badRequest('Object in protobuf body is missing its apiVersion or kind');
  const type = objectType(apiVersion, kind);
  const raw = envelope.raw instanceof Uint8Array ? envelope.raw : new Uint8Array();
  const object = messageToJson(type, decodeMessage(type, raw)) as Record<string, unknown>;
  return { apiVersion, kind, object: { apiVersion, kind, ...object } };
}

function objectType(apiVersion: string, kind: string): protobuf.Type {
  const file = protoFileFor(apiVersion);
  const type = file && messageType(file, kind);
  if (!type) throw badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  return type;
}

/** protobufjs throws plain errors on truncated or malformed input; clients get a 400 instead. */
function decodeMessage(type: protobuf.Type, bytes: Uint8Array): DecodedMessage {
  try {
    return type.decode(bytes) as unknown as DecodedMessage;
  } catch (err) {
    throw badRequest(`unable to decode protobuf ${type.name}: ${(err as Error).message}`);
  }
}
